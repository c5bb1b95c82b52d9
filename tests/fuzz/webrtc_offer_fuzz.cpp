// Fuzzes a browser's WebRTC offer through what a WHEP/WHIP handler does with it:
// parse_webrtc_offer, the codec choices, build_webrtc_answer.
// Invariants: one OfferedMedia per m= line; every used line is in the BUNDLE group with the
// first used line's credentials; chosen codecs are offered ones; the answer parses as SDP with
// one m= line per offered one, accepted lines on port 9 and in the answer's BUNDLE group.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sdp/session_description.hpp"
#include "webrtc/webrtc_answer.hpp"
#include "webrtc/webrtc_codec_choice.hpp"
#include "webrtc/webrtc_offer.hpp"

namespace {

using namespace callcast::webrtc;

void check_offered(const OfferedMedia& media, const ChosenCodec& chosen) {
  for (const auto& codec : media.codecs) {
    if (codec.payload_type == chosen.payload_type) {
      if (codec.rtx_payload_type != chosen.rtx_payload_type) std::abort();
      return;
    }
  }
  std::abort();
}

void check_answer(const WebRtcOffer& offer, std::string_view direction, bool choose_ingest) {
  constexpr std::array<std::string_view, 4> kAudio{"opus", "G722", "PCMU", "PCMA"};
  std::vector<AnswerMedia> media(offer.media.size());
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const auto& line = offer.media[i];
    const auto codec = line.kind == "audio" ? choose_audio(line, kAudio)
                       : choose_ingest      ? choose_h264_for_ingest(line)
                                            : choose_h264(line, "42e01f");
    if (!codec) continue;
    check_offered(line, *codec);
    media[i] = AnswerMedia{true, std::string(direction), *codec, 1234, 5678, "callcast"};
  }
  const WebRtcAnswerParams params{"ufrag", "password-password-pass", "AB:CD", "192.0.2.1", 8000, 1,
                                  "cname"};
  const auto answer = callcast::sdp::SessionDescription::parse(
      build_webrtc_answer(offer, params, media), {std::size_t{1} << 20, 64, 4096});
  if (!answer || answer->media.size() != offer.media.size()) std::abort();
  const std::string group{answer->attribute("group").value_or("")};
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const bool accepted = answer->media[i].port != 0;
    if (accepted != (media[i].accepted && !offer.media[i].rejected)) std::abort();
    if (accepted &&
        (answer->media[i].port != 9 || group.find(' ' + offer.media[i].mid) == std::string::npos)) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto offer = parse_webrtc_offer(text);
  if (!offer) {
    if (offer.error().empty()) std::abort();
    return 0;
  }
  if (offer->media.size() != offer->sdp.media.size()) std::abort();
  const OfferedMedia* first = nullptr;
  for (const auto& media : offer->media) {
    if (media.rejected) continue;
    if (std::find(offer->bundle_mids.begin(), offer->bundle_mids.end(), media.mid) ==
        offer->bundle_mids.end()) {
      std::abort();
    }
    if (!first) first = &media;
    if (media.ice_ufrag != first->ice_ufrag || media.ice_pwd != first->ice_pwd ||
        media.ice_ufrag.empty() || media.fingerprint.empty()) {
      std::abort();
    }
    if (media.setup != "actpass" && media.setup != "active") std::abort();
  }
  if (!first) std::abort();
  check_answer(*offer, "sendonly", false);
  check_answer(*offer, "recvonly", true);
  return 0;
}
