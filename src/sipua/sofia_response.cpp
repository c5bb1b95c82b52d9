#include "sipua/sofia_response.hpp"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>

#include <algorithm>
#include <cctype>

namespace callcast::sipua {
namespace {

// A header's value as text (sofia encodes it without the name), or nullopt when absent.
std::optional<std::string> header_value(const void* header) {
  if (header == nullptr) return std::nullopt;
  su_home_t home[1] = {SU_HOME_INIT(home)};
  char* text = sip_header_as_string(home, static_cast<const sip_header_t*>(header));
  std::optional<std::string> value;
  if (text != nullptr) value = std::string(text);
  su_home_deinit(home);
  return value;
}

}  // namespace

Response make_response(const char* method, int status, char const* phrase, sip_t const* sip) {
  Response response;
  response.method = method;
  response.status = status;
  response.phrase = phrase != nullptr ? phrase : "";
  if (sip == nullptr) return response;
  if (sip->sip_cseq != nullptr && sip->sip_cseq->cs_method_name != nullptr) {
    response.method = sip->sip_cseq->cs_method_name;
  }
  if (sip->sip_content_type != nullptr && sip->sip_content_type->c_type != nullptr) {
    response.content_type = sip->sip_content_type->c_type;
  }
  if (sip->sip_payload != nullptr && sip->sip_payload->pl_data != nullptr) {
    response.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  }
  response.reason = header_value(sip->sip_reason);
  response.warning = header_value(sip->sip_warning);
  response.retry_after = header_value(sip->sip_retry_after);
  if (sip->sip_via != nullptr && sip->sip_via->v_received != nullptr) {
    response.via_received = sip->sip_via->v_received;
    if (sip->sip_via->v_rport != nullptr && sip->sip_via->v_rport[0] != '\0') {
      response.via_rport = sip->sip_via->v_rport;
    }
  }
  for (const sip_call_info_t* info = sip->sip_call_info; info != nullptr; info = info->ci_next) {
    su_home_t home[1] = {SU_HOME_INIT(home)};
    const char* uri = url_as_string(home, info->ci_url);
    const char* purpose = msg_params_find(info->ci_params, "purpose=");
    if (uri != nullptr) response.call_info.push_back({uri, purpose != nullptr ? purpose : ""});
    su_home_deinit(home);
  }
  return response;
}

// The value of the first header `name` sofia does not know by name (Info-Package, Recv-Info in
// this version of sofia), without surrounding white space.
std::optional<std::string> unknown_header(sip_t const* sip, std::string_view name) {
  if (sip == nullptr) return std::nullopt;
  for (const sip_unknown_t* header = sip->sip_unknown; header != nullptr;
       header = header->un_next) {
    if (header->un_name == nullptr || header->un_value == nullptr) continue;
    const std::string_view header_name(header->un_name);
    if (header_name.size() != name.size() ||
        !std::equal(name.begin(), name.end(), header_name.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      continue;
    }
    std::string_view value(header->un_value);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.remove_suffix(1);
    return std::string(value);
  }
  return std::nullopt;
}

const char* request_method(int event) {
  switch (static_cast<nua_event_t>(event)) {
    case nua_r_invite:
      return "INVITE";
    case nua_r_prack:
      return "PRACK";
    case nua_r_cancel:
      return "CANCEL";
    case nua_r_bye:
      return "BYE";
    case nua_r_register:
    case nua_r_unregister:
      return "REGISTER";
    case nua_r_options:
      return "OPTIONS";
    default:
      return "";
  }
}

}  // namespace callcast::sipua
