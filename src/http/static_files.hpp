#pragma once
// The browser pages of issue 14 (web/, built into web/dist by `make web`), served by the HTTP
// server from one directory:
//
//   GET|HEAD /               -> index.html       the operator console (reads /v1/groups)
//   GET|HEAD /watch          -> watch.html       watch a number (WHEP)
//   GET|HEAD /broadcast      -> broadcast.html   broadcast from the browser (WHIP)
//   GET|HEAD /assets/<file>  -> assets/<file>    their scripts and styles
//
// The request path is untrusted: resolve_static_path() (http/static_path.hpp) maps it to a path
// relative to the root or refuses it, and serve() checks again, after resolving symbolic links
// (std::filesystem::weakly_canonical), that the file lies under the root. No directory is ever
// listed.
//
// Access: the watch and broadcast pages are public (their WHEP/WHIP requests carry their own
// credentials). The console holds no data (its script reads the admin API, which checks the
// caller), yet without http.api_key it is served to loopback clients only, as the admin API
// is: elsewhere it could only show an error. With a key a browser cannot send it on navigation,
// so the page is served and asks for the key when the admin API answers 401.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/http_message.hpp"

namespace callcast::http {

class HttpServer;

class StaticFiles {
 public:
  // root: the built pages (web/dist). console_loopback_only: serve "/" to loopback clients only
  // (no http.api_key configured).
  StaticFiles(std::filesystem::path root, bool console_loopback_only);

  // The built-in root: CALLCAST_WEB_ROOT (the source tree's web/dist, set by CMake) when that
  // directory exists, else empty.
  static std::filesystem::path default_root();

  // The response to a GET or HEAD (the server leaves the body out for HEAD): 200 with the file,
  // 403 for the console from afar, 404 with a text/plain reason for anything else.
  Response serve(const Request& request) const;
  // Registers GET and HEAD of the paths above on `server`; this object must outlive it.
  void add_routes(HttpServer& server) const;

  const std::filesystem::path& root() const { return root_; }

  // Files larger than this are not served (the pages are a few hundred KiB).
  static constexpr std::size_t kMaxFileBytes = std::size_t{16} * 1024 * 1024;

 private:
  Result<std::string, Response> read_under_root(const std::string& relative) const;

  std::filesystem::path root_;
  bool console_loopback_only_;
};

}  // namespace callcast::http
