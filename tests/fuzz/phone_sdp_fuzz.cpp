// Fuzzes a phone's offer through everything the network side does with it: parse_phone_offer,
// both answer planners against a few groups, serialize_answer.
// Invariants: a plan has one line per offered m= line (RFC 3264), accepted lines carry exactly
// one format, a video plan's line is accepted H.264, and every serialized answer parses again
// as SDP and as an offer with the same number of m= lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sdp/session_description.hpp"
#include "sipwire/broadcaster_answer.hpp"
#include "sipwire/phone_offer.hpp"
#include "sipwire/viewer_answer.hpp"

namespace {

using namespace callcast::sip;

void check(const AnswerPlan& plan, const PhoneOffer& offer) {
  if (plan.lines.size() != offer.media.size()) std::abort();
  for (const auto& line : plan.lines) {
    if (line.accepted() != line.format.has_value()) std::abort();
  }
  if (plan.video) {
    const auto& line = plan.lines.at(plan.video->line);
    if (!line.accepted() || line.format->encoding.empty()) std::abort();
    if (line.format->payload_type != plan.video->payload_type) std::abort();
  }
  if (plan.audio && !plan.lines.at(plan.audio->line).accepted()) std::abort();
  const std::string text = serialize_answer(plan, 1, 2, "192.0.2.1");
  if (!callcast::sdp::SessionDescription::parse(text)) std::abort();
  const auto again = parse_phone_offer(text);
  if (!again || again->media.size() != offer.media.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto offer = parse_phone_offer(text);
  if (!offer) return 0;

  const ServerMedia v4{{false, "192.0.2.1"}, 30000, 30002, true};
  const ServerMedia v6{{true, "2001:db8::1"}, 30000, 30000, false};
  const GroupVideo baseline{*H264ProfileLevelId::parse("42e01f"), 1, 96, ""};
  const GroupVideo high{*H264ProfileLevelId::parse("640028"), 1, 96, ""};
  const GroupVideo single_nal{*H264ProfileLevelId::parse("42801f"), 0, 97, ""};
  const GroupAudio aac{AudioCodec::aac_mpeg4_generic, 44100, 2, 97, "config=1210"};
  const GroupAudio opus{AudioCodec::opus, 48000, 2, 111, ""};
  for (const GroupCodecs& group :
       {GroupCodecs{baseline, aac}, GroupCodecs{high, opus}, GroupCodecs{single_nal, std::nullopt},
        GroupCodecs{std::nullopt, opus}}) {
    for (const ServerMedia* server : {&v4, &v6}) {
      const auto plan = plan_viewer_answer(*offer, group, *server);
      if (plan) {
        check(*plan, *offer);
      } else if (plan.error().status != 488 || plan.error().warning.empty()) {
        std::abort();
      }
    }
  }
  const auto broadcast = plan_broadcaster_answer(*offer, v4);
  if (broadcast) {
    check(broadcast->answer, *offer);
    if (!broadcast->group.video && !broadcast->group.audio) std::abort();
  } else if (broadcast.error().warning.empty()) {
    std::abort();
  }
  return 0;
}
