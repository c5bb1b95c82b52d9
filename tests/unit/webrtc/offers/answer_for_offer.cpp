// Reads a browser's offer on stdin and writes the server's answer on stdout, as the WHEP
// (`whep [profile-level-id]`, sending the group's H.264 and Opus) or WHIP (`whip`, receiving)
// handler would: the tool check_answers.js gives real Chromium answers to check with
// setRemoteDescription. The ICE and DTLS values are fixed: setRemoteDescription checks their
// form, not the certificate.
#include <array>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "webrtc/webrtc_answer.hpp"
#include "webrtc/webrtc_codec_choice.hpp"
#include "webrtc/webrtc_offer.hpp"

int main(int argc, char** argv) {
  using namespace callcast::webrtc;
  const std::string mode = argc > 1 ? argv[1] : "whep";
  const std::string profile = argc > 2 ? argv[2] : "42e01f";
  const std::string text((std::istreambuf_iterator<char>(std::cin)),
                         std::istreambuf_iterator<char>());
  const auto offer = parse_webrtc_offer(text);
  if (!offer) {
    std::cerr << "offer refused: " << offer.error() << "\n";
    return 1;
  }
  const bool whep = mode == "whep";
  constexpr std::array<std::string_view, 4> kViewerAudio{"opus", "G722", "PCMU", "PCMA"};
  constexpr std::array<std::string_view, 1> kIngestAudio{"opus"};
  std::vector<AnswerMedia> media(offer->media.size());
  std::uint32_t next_ssrc = 0x10000001;
  for (std::size_t i = 0; i < offer->media.size(); ++i) {
    const auto& line = offer->media[i];
    const auto codec =
        line.kind == "audio"
            ? choose_audio(line, whep ? std::span<const std::string_view>(kViewerAudio)
                                      : std::span<const std::string_view>(kIngestAudio))
        : whep ? choose_h264(line, profile)
               : choose_h264_for_ingest(line);
    if (!codec) {
      std::cerr << "m-line " << i << " (" << line.kind << "): no codec to use, rejected\n";
      continue;
    }
    media[i].accepted = true;
    media[i].direction = whep ? "sendonly" : "recvonly";
    media[i].codec = *codec;
    media[i].msid_stream = "callcast";
    if (whep) {
      media[i].ssrc = next_ssrc++;
      if (codec->rtx_payload_type) media[i].rtx_ssrc = next_ssrc++;
    }
  }
  const WebRtcAnswerParams params{
      "srvu",
      "server-password-0123456789",
      "0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0:0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:"
      "E1:F0",
      argc > 3 ? argv[3] : "127.0.0.1",
      8000,
      4242,
      "callcast"};
  std::cout << build_webrtc_answer(*offer, params, media);
  return 0;
}
