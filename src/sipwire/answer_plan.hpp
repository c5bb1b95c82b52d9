#pragma once
// The answer to a phone's offer (RFC 3264), decided by viewer_answer or broadcaster_answer and
// written by serialize_answer: one answer line per offered m= line, in order (RFC 3264 §6; baresip
// fails the call otherwise), each either accepted with exactly one format or rejected with port 0.
// Besides the SDP, the plan tells the media side what to set up: where the phone is, which payload
// type the phone wants, which RTCP feedback was agreed, whether audio must be transcoded; and it
// carries the sentences a Warning header or a log line should say.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/group_codecs.hpp"
#include "sipwire/h264_profile_level_id.hpp"
#include "sipwire/phone_offer.hpp"

namespace callcast::sip {

// The streaming server's side of the media: where the phone sends (broadcaster) or where the
// server sends from and latches on (viewer). Audio and video may share a port (the media side
// then tells them apart by SSRC). Ports are not 0; RTCP is on port + 1 unless rtcp-mux is
// answered (the answer writes no a=rtcp).
struct ServerMedia {
  ConnectionAddress address;
  std::uint16_t audio_port = 0;
  std::uint16_t video_port = 0;
  bool rtcp_mux_possible = true;  // RTP and RTCP on one port (RFC 5761) when the phone offers it
};

// Why an offer cannot be answered: the network side replies `status` with `warning` as the text
// of its Warning header (warning_text.hpp), and creates nothing.
struct Refusal {
  int status = 488;
  std::string warning;
};

struct AnsweredFormat {
  std::uint8_t payload_type = 0;  // the phone's number for it (RFC 3264 §6.1)
  std::string encoding;
  std::uint32_t clock_rate = 0;
  unsigned channels = 1;
  std::string fmtp;
  std::vector<RtcpFeedback> feedback;
};

struct AnswerLine {
  std::string media;  // as offered
  std::string proto;  // as offered
  std::uint16_t port = 0;
  std::vector<std::string> format_tokens;  // port 0: the offered formats, echoed
  std::optional<AnsweredFormat> format;    // accepted: the one format
  MediaDirection direction = MediaDirection::inactive;
  bool rtcp_mux = false;
  std::optional<unsigned> ptime;
  std::string rejection;  // port 0: why, for logs

  bool accepted() const { return port != 0; }
};

// The phone's end of an accepted stream: where to send and where to expect RTP/RTCP from until the
// media side latches onto the source of the phone's first packets (RFC 4961).
struct PhoneEndpoint {
  ConnectionAddress address;
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;  // = rtp_port with rtcp-mux
  bool rtcp_mux = false;
};

// The RTCP feedback both sides agreed on for a video stream (RFC 4585 "nack", "nack pli",
// RFC 5104 "ccm fir").
struct FeedbackUse {
  bool nack = false;
  bool pli = false;
  bool fir = false;
  bool operator==(const FeedbackUse&) const = default;
};

struct VideoPlan {
  std::size_t line = 0;           // index into AnswerPlan::lines, = the offer's m= index
  std::uint8_t payload_type = 0;  // the phone's H.264 type; a viewer's copy is rewritten to it
  int packetization_mode = 1;
  H264ProfileLevelId profile_level_id;  // as answered
  bool level_exceeds_phone = false;     // viewer: the group's level is above the phone's
  FeedbackUse feedback;
  MediaDirection direction = MediaDirection::sendonly;  // as answered
  PhoneEndpoint phone;
};

struct AudioPlan {
  std::size_t line = 0;
  std::uint8_t payload_type = 0;        // the phone's type for `codec`
  AudioCodec codec = AudioCodec::opus;  // on the wire between phone and server
  std::uint32_t clock_rate = 0;
  unsigned channels = 1;
  std::optional<AudioCodec> transcode_from;  // viewer: the group's codec, when it is not `codec`
  MediaDirection direction = MediaDirection::sendonly;
  PhoneEndpoint phone;
};

struct AnswerPlan {
  ServerMedia server;
  std::vector<AnswerLine> lines;  // one per offered m= line
  std::optional<VideoPlan> video;
  std::optional<AudioPlan> audio;
  // What the phone's user should be told (a Warning on the 200) or a log line should say, one
  // sentence each: "no picture: the group's video is H264 ... and the phone offers only VP8".
  std::vector<std::string> notes;
};

// The answer SDP, CRLF line ends:
//   v=0 / o=callcast <id> <version> IN IP4 <origin> / s=callcast / c=<server> / t=0 0
//   then per line: m=, a=rtpmap, a=fmtp, a=rtcp-fb, a=ptime, direction, a=rtcp-mux.
std::string serialize_answer(const AnswerPlan& plan, std::uint64_t session_id,
                             std::uint64_t session_version, std::string_view origin_address);

// Rules both planners share.
namespace answer_rules {
// A port-0 line echoing the offered media, proto and formats (RFC 3264 §6).
AnswerLine rejected(const OfferedMedia& offered, std::string reason);
// Why a line cannot be answered at all (port 0, not audio/video, secure or non-RTP profile), or
// nullopt: what both planners check before choosing a format.
std::optional<std::string> unusable(const OfferedMedia& offered);
// An accepted line: `format` on `port` (never 0), the offer's proto, `direction`, and rtcp-mux when
// both the phone offered it and the server can.
AnswerLine accepted(const OfferedMedia& offered, AnsweredFormat format, std::uint16_t port,
                    MediaDirection direction, bool rtcp_mux_possible);
// Of what the offer has for `format` (its own and "*" lines), the feedback callcast uses: nack,
// nack pli, ccm fir. RFC 4585 §4.2: an answer carries no feedback type the offer lacked.
std::vector<RtcpFeedback> agreed_feedback(const OfferedFormat& format);
FeedbackUse feedback_use(const std::vector<RtcpFeedback>& agreed);
PhoneEndpoint phone_endpoint(const OfferedMedia& offered, bool rtcp_mux);
// "VP8, H264 (42801f, packetization-mode=0), opus/48000/2": the offered audio and video formats
// of lines not rejected by the phone, telephone-event left out, at most a dozen.
std::string offered_formats(const PhoneOffer& offer, std::optional<MediaKind> kind = {});
// A sentence for an offer whose every stream is secure RTP, or nullopt.
std::optional<std::string> secure_only(const PhoneOffer& offer);
}  // namespace answer_rules

}  // namespace callcast::sip
