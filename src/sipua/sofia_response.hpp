#pragma once
// What the user agent reads of a message sofia-sip parsed: a response as the callers of
// NuaEngine see it, and the headers sofia does not know by name.
#include <optional>
#include <string>
#include <string_view>

#include "sipua/response.hpp"

struct sip_s;

namespace callcast::sipua {

// `method` when the message has no CSeq; `sip` may be null (a response nua made up itself).
Response make_response(const char* method, int status, char const* phrase, sip_s const* sip);

// The value of the first header `name` sofia does not know by name (Info-Package, Recv-Info in
// this version of sofia), without surrounding white space.
std::optional<std::string> unknown_header(sip_s const* sip, std::string_view name);

// The method of the request a nua_r_* event answers ("INVITE", "BYE"...), "" for other events.
const char* request_method(int event);

}  // namespace callcast::sipua
