#pragma once
// The iptv_rtsp SDP moved to the shared wire layer (src/sipwire) that the terminal links too.
// Kept only for apps/callcast-bench, which another change owns: include "sipwire/iptv_sdp.hpp".
#include "sipwire/iptv_sdp.hpp"
