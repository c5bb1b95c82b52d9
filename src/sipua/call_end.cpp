#include "sipua/call_end.hpp"

#include <string>

namespace callcast::sipua {

std::string CallEnd::describe() const {
  switch (cause) {
    case EndCause::remote_bye:
      return "BYE from remote";
    case EndCause::local_bye:
      return "BYE sent";
    case EndCause::local_cancel:
      return "CANCEL sent";
    case EndCause::rejected:
      return "rejected: " + std::to_string(status) + " " + phrase;
    case EndCause::error:
      return "error: " + std::to_string(status) + " " + phrase;
    case EndCause::shutdown:
      return "user agent shut down";
  }
  return "unknown";
}

}  // namespace callcast::sipua
