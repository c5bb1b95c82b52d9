#pragma once
// A raw RTSP client over TCP for the end-to-end tests: it sends well-formed requests or any bytes
// at all (garbage, oversized headers, half requests), reads responses with callcast_rtsp's
// parser, and notices when the server closes the connection. Every read has a deadline.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtsp/rtsp_message.hpp"

namespace callcast::test {

struct InterleavedPacket {
  std::uint8_t channel = 0;
  std::vector<std::uint8_t> payload;
};

// host and port of "rtsp://host:port/...".
struct UrlAuthority {
  std::string host;
  std::uint16_t port = 0;
};
std::optional<UrlAuthority> rtsp_authority(std::string_view url);

class RtspTestClient {
 public:
  using Duration = std::chrono::milliseconds;

  explicit RtspTestClient(Duration timeout = std::chrono::seconds(5));
  ~RtspTestClient();
  RtspTestClient(const RtspTestClient&) = delete;
  RtspTestClient& operator=(const RtspTestClient&) = delete;

  bool connect(const std::string& host, std::uint16_t port);
  bool connect_to(std::string_view url);  // the authority of an rtsp:// URL
  void disconnect();
  // Closes with SO_LINGER 0: the server gets a TCP RST, as when a NAT or a crashed peer drops it.
  void reset_connection();
  bool connected() const;
  const std::string& error() const { return error_; }

  // Writes bytes as they are. False when the write failed (e.g. the server closed).
  bool send_raw(std::string_view bytes);
  // '$' channel length payload (RFC 2326 §10.12).
  bool send_interleaved(std::uint8_t channel, std::span<const std::uint8_t> payload);

  // The next response; interleaved frames before it are kept in interleaved(). nullopt on
  // timeout, close, or a response that does not parse (error() says which).
  std::optional<rtsp::RtspResponse> read_response(std::optional<Duration> timeout = {});
  // True once the server closed the connection (EOF or reset) within `timeout`; anything it
  // sends meanwhile is kept (responses in bytes_before_close()).
  bool wait_closed(Duration timeout);
  const std::string& bytes_before_close() const { return received_; }
  // Interleaved frames received so far, oldest first.
  std::deque<InterleavedPacket>& interleaved() { return interleaved_; }
  // Reads interleaved frames until one on `channel` arrives.
  std::optional<InterleavedPacket> read_interleaved(std::uint8_t channel, Duration timeout);

  // Sends "METHOD url RTSP/1.0" with CSeq, the session (once known) and `headers` (full lines
  // without CRLF), then reads the response. The Session header of a 2xx answer is remembered.
  std::optional<rtsp::RtspResponse> request(std::string_view method, std::string_view url,
                                            const std::vector<std::string>& headers = {},
                                            std::string_view body = {});
  const std::string& session() const { return session_; }
  std::uint32_t next_cseq() const { return cseq_; }

  std::optional<rtsp::RtspResponse> describe(std::string_view url);
  // SETUP RTP/AVP;unicast;client_port=rtp-(rtp+1)
  std::optional<rtsp::RtspResponse> setup_udp(std::string_view track_url, std::uint16_t rtp_port);
  std::optional<rtsp::RtspResponse> setup_tcp(std::string_view track_url, std::uint8_t rtp_channel,
                                              bool record);
  std::optional<rtsp::RtspResponse> play(std::string_view url);
  std::optional<rtsp::RtspResponse> announce(std::string_view url, std::string_view sdp);
  std::optional<rtsp::RtspResponse> record(std::string_view url);
  std::optional<rtsp::RtspResponse> teardown(std::string_view url);

 private:
  // Moves complete interleaved frames at the front of what was received into interleaved_.
  void take_interleaved_frames();
  // Reads more bytes into received_; false on timeout or close.
  bool read_more(Duration timeout);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  Duration timeout_;
  std::string received_;  // bytes not yet parsed
  std::deque<InterleavedPacket> interleaved_;
  std::string session_;
  std::uint32_t cseq_ = 1;
  bool closed_ = false;
  std::string error_;
};

// One media section of an SDP: its kind ("video", "audio"), first payload type, encoding name
// and control URL (absolute: resolved against `base` when relative).
struct SdpTrack {
  std::string media;
  int payload_type = -1;
  std::string encoding;  // "H264", "MPEG4-GENERIC", "opus"
  std::string control;
};
std::vector<SdpTrack> sdp_tracks(std::string_view sdp, std::string_view base);

}  // namespace callcast::test
