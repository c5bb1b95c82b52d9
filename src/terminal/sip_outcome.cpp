#include "terminal/sip_outcome.hpp"

#include <string>

#include "sipwire/warning_text.hpp"

namespace callcast::terminal {

namespace {

std::string status_text(const sipua::Response& response) {
  std::string text = std::to_string(response.status);
  if (!response.phrase.empty()) text += " " + response.phrase;
  if (response.retry_after) text += ", retry after " + *response.retry_after + " s";
  return text;
}

std::string server_words(const sipua::Response& response) {
  return response.warning ? sip::warning_text(*response.warning) : std::string();
}

// The user agent's own failure: sofia answers a request itself with 408 when the server never
// answered (timer F/B; the phone's shorter timeout does the same) and with 503 when sending
// failed, which for UDP means an ICMP "port unreachable" (nothing listens: ECONNREFUSED) or
// "host/network unreachable", and for TCP a refused or unroutable connect. Neither is the
// server's status, so the line names what happened instead of a status code the server never
// sent.
std::string unreachable(const sipua::Response& response, std::string_view server) {
  if (response.status == 408) return "the SIP server " + std::string(server) + " did not answer";
  if (response.status == 503) {
    return "the SIP server " + std::string(server) + " cannot be reached (refused or unreachable)";
  }
  return "the SIP server " + std::string(server) + " cannot be reached (" + status_text(response) +
         ")";
}

}  // namespace

bool is_local_failure(const sipua::Response& response) {
  return (response.status == 408 || response.status == 503 || response.status >= 900) &&
         !response.warning && !response.retry_after;
}

std::string describe_register_failure(const sipua::Response& response, std::string_view number,
                                      std::string_view server) {
  if (is_local_failure(response)) return unreachable(response, server);
  if (response.status == 401 || response.status == 403 || response.status == 407) {
    return "wrong password for " + std::string(number) + ", or no such user (" +
           status_text(response) + ")";
  }
  const std::string words = server_words(response);
  return "registration of " + std::string(number) +
         " refused: " + (words.empty() ? std::string("the server gave no reason") : words) + " (" +
         status_text(response) + ")";
}

std::string describe_call_failure(const sipua::Response& response, std::string_view target,
                                  std::string_view server) {
  if (is_local_failure(response)) return unreachable(response, server);
  const std::string words = server_words(response);
  if (!words.empty()) return words + " (" + status_text(response) + ")";
  switch (response.status) {
    case 401:
    case 403:
    case 407:
      return "the server refused our credentials (" + status_text(response) + ")";
    case 404:
      return std::string(target) + " is not a known number (" + status_text(response) + ")";
    case 480:
      return std::string(target) + " is not broadcasting (" + status_text(response) + ")";
    case 486:
      return std::string(target) + " is busy (" + status_text(response) + ")";
    default:
      return "the call to " + std::string(target) + " failed (" + status_text(response) + ")";
  }
}

}  // namespace callcast::terminal
