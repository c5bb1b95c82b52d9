#include "media/viewer_offer.hpp"

namespace callcast::media {

// Why every m= line says RTP/AVPF, and what a viewer then gets (checked in the peers' sources):
// - ffmpeg/ffplay (libavformat rtsp.c sdp_parse_line) send RTCP feedback, generic NACK and PLI,
//   only for an m= line whose proto contains "/AVPF", yet SET UP with "RTP/AVP" in the Transport
//   header whatever the SDP said. Both are accepted (rtsp_server.cpp choose_transport); such a
//   viewer is repaired with original packets (NackResponder). ffmpeg takes the first format of
//   the m= line as the stream's payload type, so the relayed one stays first and the RTX format
//   and its rtpmap come after it; an rtpmap for another payload type leaves its codec alone.
// - GStreamer's rtspsrc (gstrtspsrc.c gst_rtspsrc_collect_payloads) takes the profile of its
//   SETUP from the m= line, so it sets up RTP/AVPF; it enables RFC 4588 (add_retransmission:
//   rtprtxreceive as rtpbin's aux receiver, with do-retransmission) only when the SETUP answer's
//   profile is AVPF and the m= line has a format with encoding-name RTX and apt=. rtprtxreceive
//   learns the RTX SSRC from the first retransmission whose original sequence number it asked
//   for (RFC 4588 §5.3), so nothing announces that SSRC: no a=ssrc-group:FID (ffmpeg would also
//   take an a=ssrc line as the stream's SSRC), and Transport ssrc= names the main stream.
// - An AVP-profile viewer never negotiated RTX, so it is never sent RTX: ffmpeg's rtpdec.c
//   (rtp_parse_packet_internal) stores the SSRC of every packet on its port before it drops one
//   of an unknown payload type, and would then report and NACK against the RTX SSRC.
std::string make_viewer_offer(const std::string& group, const std::vector<TrackRelay>& tracks,
                              const std::vector<TrackRepair>& repairs, const std::string& host,
                              const std::function<std::string(int)>& url) {
  sdp::SessionDescription out;
  const bool v6 = host.find(':') != std::string::npos;
  out.session.push_back({'v', "0"});
  out.session.push_back({'o', "- " + std::to_string(tracks.empty() ? 0 : tracks[0].out_ssrc()) +
                                  " 1 IN " + (v6 ? "IP6 " : "IP4 ") + host});
  out.session.push_back({'s', "callcast group " + group});
  out.session.push_back({'c', v6 ? "IN IP6 ::" : "IN IP4 0.0.0.0"});
  out.session.push_back({'t', "0 0"});
  out.session.push_back({'a', "tool:callcast"});
  out.session.push_back({'a', "range:npt=now-"});
  out.session.push_back({'a', "control:" + url(-1)});
  for (std::size_t t = 0; t < tracks.size(); ++t) {
    const TrackDescription& track = tracks[t].description();
    sdp::MediaDescription media = track.description;
    media.port = 0;
    media.proto = "RTP/AVPF";
    // Everything else (rtpmap, fmtp: a viewer decodes what the master announced) is copied as
    // announced. The relay sends under its own SSRC (Transport ssrc=): the master's a=ssrc goes;
    // the feedback is what this server serves, not what the master took.
    std::erase_if(media.lines, [](const sdp::Line& line) {
      return line.type == 'c' ||
             (line.type == 'a' &&
              (line.value.starts_with("control:") || line.value == "sendonly" ||
               line.value == "recvonly" || line.value == "sendrecv" ||
               line.value.starts_with("ssrc:") || line.value.starts_with("ssrc-group:") ||
               line.value.starts_with("rtcp-fb:")));
    });
    const bool repair_on = t < repairs.size() && repairs[t].ring().window().count() > 0;
    const std::string pt = std::to_string(track.payload_type);
    if (repair_on) media.lines.push_back({'a', "rtcp-fb:" + pt + " nack"});
    if (track.codec == Codec::h264) {
      media.lines.push_back({'a', "rtcp-fb:" + pt + " nack pli"});
      media.lines.push_back({'a', "rtcp-fb:" + pt + " ccm fir"});
    }
    if (repair_on && repairs[t].rtx_payload_type()) {
      const std::string rtx = std::to_string(*repairs[t].rtx_payload_type());
      const auto window_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(repairs[t].ring().window());
      media.formats.push_back(rtx);
      media.lines.push_back({'a', "rtpmap:" + rtx + " rtx/" + std::to_string(track.clock_rate)});
      media.lines.push_back(
          {'a', "fmtp:" + rtx + " apt=" + pt + ";rtx-time=" + std::to_string(window_ms.count())});
    }
    media.lines.push_back({'a', "sendonly"});
    media.lines.push_back({'a', "control:" + url(static_cast<int>(track.index))});
    out.media.push_back(std::move(media));
  }
  return out.serialize();
}

}  // namespace callcast::media
