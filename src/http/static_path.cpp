#include "http/static_path.hpp"

#include <array>
#include <optional>

#include "http/route_table.hpp"

namespace callcast::http {

namespace {

constexpr std::string_view kAssetsPrefix = "/assets/";

struct PageAlias {
  std::string_view path;
  std::string_view file;
};
constexpr std::array<PageAlias, 3> kPages{{
    {"/", "index.html"},
    {"/watch", "watch.html"},
    {"/broadcast", "broadcast.html"},
}};

// One decoded segment of an asset's path: a plain file or folder name. Dot segments would climb
// out of the root; a backslash is a separator elsewhere and NUL ends a name in the C API that
// opens the file; a decoded '/' would join segments the check above did not see; hidden files
// (".git", ".env") are never part of a build.
std::optional<std::string> static_asset_segment_error(std::string_view decoded) {
  if (decoded.empty()) return "an empty path segment";
  if (decoded.front() == '.') return "a path segment starting with '.'";
  for (const char c : decoded) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\') return "an encoded '/' or a backslash in a path segment";
    if (byte < 0x20 || byte == 0x7f) return "a control character in the path";
  }
  return std::nullopt;
}

}  // namespace

Result<std::string, std::string> resolve_static_path(std::string_view request_path) {
  const std::size_t query = request_path.find_first_of("?#");
  if (query != std::string_view::npos) request_path = request_path.substr(0, query);
  if (request_path.empty() || request_path.front() != '/') {
    return fail("the path must start with '/'");
  }
  for (const PageAlias& page : kPages) {
    if (request_path == page.path) return std::string(page.file);
  }
  if (!request_path.starts_with(kAssetsPrefix)) return fail("no such page");

  std::string relative = "assets";
  std::string_view rest = request_path.substr(kAssetsPrefix.size());
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    const std::optional<std::string> decoded = percent_decode(segment);
    if (!decoded) return fail("malformed percent-encoding in the path");
    if (auto error = static_asset_segment_error(*decoded)) return fail(std::move(*error));
    relative += '/';
    relative += *decoded;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return relative;
}

std::string_view static_content_type(std::string_view file_name) {
  struct Type {
    std::string_view extension;
    std::string_view type;
  };
  // RFC 9239: JavaScript is text/javascript; source maps are JSON.
  static constexpr std::array<Type, 10> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  const std::size_t slash = file_name.rfind('/');
  const std::string_view base =
      slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  for (const Type& type : kTypes) {
    if (base.size() > type.extension.size() && base.ends_with(type.extension)) return type.type;
  }
  return "application/octet-stream";
}

}  // namespace callcast::http
