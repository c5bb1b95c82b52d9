#include "core/time_source.hpp"

namespace callcast::core {

RealTimeSource& RealTimeSource::instance() {
  static RealTimeSource source;
  return source;
}

}  // namespace callcast::core
