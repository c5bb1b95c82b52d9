// Built by tests/layers/CMakeLists.txt twice: against callcast_media (must compile) and against
// callcast_sdp alone (must not find the header).
#include "media/group_media.hpp"

int main() {
  return 0;
}
