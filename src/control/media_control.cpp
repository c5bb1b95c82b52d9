#include "control/media_control.hpp"

namespace callcast::control {

int http_status(ControlErrorCode code) {
  switch (code) {
    case ControlErrorCode::bad_request:
      return 400;
    case ControlErrorCode::unauthorized:
      return 401;
    case ControlErrorCode::not_found:
      return 404;
    case ControlErrorCode::conflict:
      return 409;
    case ControlErrorCode::limit_reached:
      return 503;
    case ControlErrorCode::unavailable:
      return 503;
  }
  return 500;
}

std::string_view to_string(ControlErrorCode code) {
  switch (code) {
    case ControlErrorCode::bad_request:
      return "bad_request";
    case ControlErrorCode::unauthorized:
      return "unauthorized";
    case ControlErrorCode::not_found:
      return "not_found";
    case ControlErrorCode::conflict:
      return "conflict";
    case ControlErrorCode::limit_reached:
      return "limit_reached";
    case ControlErrorCode::unavailable:
      return "unavailable";
  }
  return "unknown";
}

}  // namespace callcast::control
