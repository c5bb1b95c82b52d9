#pragma once
// Which file of the web root a request path names (issue 14's pages, http/static_files.hpp):
//
//   /                -> index.html       /watch     -> watch.html
//   /broadcast       -> broadcast.html   /assets/<path> -> assets/<path>, percent-decoded
//
// and what Content-Type it is served with. The path is untrusted and these are pure functions:
// no file system, any bytes (tests/fuzz/static_path_fuzz.cpp).
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::http {

// The request path (as sent; a query or fragment is ignored) -> the file's path relative to
// the web root, e.g. "/assets/a%2Eb.js" -> "assets/a.b.js"; else why not. Refused: anything but
// the paths above, and in an asset's path empty segments, dot segments and names starting with
// '.' (encoded or not), backslashes, an encoded '/', NUL and other control bytes, and broken
// percent-encoding. A result never starts with '/' and never has a ".." segment.
Result<std::string, std::string> resolve_static_path(std::string_view request_path);

// The Content-Type for a file name, by its extension; application/octet-stream when unknown.
std::string_view static_content_type(std::string_view file_name);

}  // namespace callcast::http
