#pragma once
// The SDP a viewer gets from DESCRIBE (step 714): the announced tracks under our control URLs,
// offered as RTP/AVPF with the feedback the server serves (RFC 4585 NACK, PLI, FIR) and, per video
// track, an RFC 4588 retransmission format.
#include <functional>
#include <string>
#include <vector>

#include "media/track_relay.hpp"
#include "media/track_repair.hpp"

namespace callcast::media {

// `url(-1)` is the aggregate control URL, `url(i)` track i's. `repairs` is empty or one per track.
std::string make_viewer_offer(const std::string& group, const std::vector<TrackRelay>& tracks,
                              const std::vector<TrackRepair>& repairs, const std::string& host,
                              const std::function<std::string(int)>& url);

}  // namespace callcast::media
