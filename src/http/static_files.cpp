#include "http/static_files.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "http/http_server.hpp"
#include "http/static_path.hpp"

namespace callcast::http {

namespace {

Response static_text_response(int status, std::string text) {
  Response response;
  response.status = status;
  response.body = std::move(text);
  response.body += '\n';
  response.set_header("Content-Type", "text/plain; charset=utf-8");
  response.set_header("Cache-Control", "no-cache");
  return response;
}

bool static_path_is_under(const std::filesystem::path& root, const std::filesystem::path& file) {
  const auto [root_end, file_at] =
      std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  // Every element of the root matched, and the file has more (an empty last element is the
  // trailing "/" of a root given as "dist/": it matches anything).
  if (root_end != root.end() && !(std::next(root_end) == root.end() && root_end->empty())) {
    return false;
  }
  return file_at != file.end();
}

}  // namespace

StaticFiles::StaticFiles(std::filesystem::path root, bool console_loopback_only)
    : root_(std::move(root)), console_loopback_only_(console_loopback_only) {}

std::filesystem::path StaticFiles::default_root() {
#ifdef CALLCAST_WEB_ROOT
  std::error_code ec;
  const std::filesystem::path built(CALLCAST_WEB_ROOT);
  if (std::filesystem::is_directory(built, ec)) return built;
#endif
  return {};
}

Result<std::string, Response> StaticFiles::read_under_root(const std::string& relative) const {
  const auto not_found = [&relative] {
    return fail(static_text_response(404, "no such file: " + relative));
  };
  if (root_.empty()) {
    return fail(static_text_response(
        404, "the web pages are not built: run `make web` (npm ci && npm run build in web/)"));
  }
  std::error_code ec;
  const std::filesystem::path root = std::filesystem::weakly_canonical(root_, ec);
  if (ec) return not_found();
  // Symbolic links resolved: a link inside the root that points out of it is refused too.
  const std::filesystem::path file = std::filesystem::weakly_canonical(root / relative, ec);
  if (ec || !static_path_is_under(root, file)) return not_found();
  if (!std::filesystem::is_regular_file(file, ec)) return not_found();
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return not_found();
  if (size > kMaxFileBytes) {
    return fail(static_text_response(404, "file too large to serve: " + relative));
  }
  std::ifstream in(file, std::ios::binary);
  std::string body(static_cast<std::size_t>(size), '\0');
  if (!in.read(body.data(), static_cast<std::streamsize>(body.size()))) return not_found();
  return body;
}

Response StaticFiles::serve(const Request& request) const {
  auto relative = resolve_static_path(request.path);
  if (!relative) return static_text_response(404, "no such page: " + relative.error());
  if (*relative == "index.html" && console_loopback_only_ &&
      !is_loopback_address(request.peer_address)) {
    return static_text_response(403,
                                "the console answers loopback clients only while http.api_key is "
                                "not set (the admin API it reads does the same)");
  }
  auto body = read_under_root(*relative);
  if (!body) return body.error();
  Response response;
  response.status = 200;
  response.body = std::move(body).value();
  response.set_header("Content-Type", std::string(static_content_type(*relative)));
  // The files keep their names from build to build: a browser must ask again each time (a 200
  // of a few KiB on the operator's own network), or an old script would meet a new page.
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Content-Type-Options", "nosniff");
  return response;
}

void StaticFiles::add_routes(HttpServer& server) const {
  for (const char* method : {"GET", "HEAD"}) {
    for (const char* pattern : {"/", "/watch", "/broadcast", "/assets/{file}"}) {
      server.route(method, pattern, [this](const Request& request, const Responder& respond) {
        respond(serve(request));
      });
    }
  }
}

}  // namespace callcast::http
