#pragma once
// Issue 15: an edge's pull of one group from its origin node, as one ordinary viewer of it over
// RTSP/TCP (RFC 2326 §10.12, interleaved), with callcast's own message parser:
//
//   DESCRIBE <origin play URL>          Accept: application/sdp   -> the group's SDP
//   SETUP <track control> (each track)  Transport: RTP/AVP/TCP;unicast;interleaved=2i-2i+1
//   PLAY <aggregate URL>                Session, Range: npt=now-
//
// then RTP and RTCP arrive on the channels, and RTCP for the origin (the edge viewers' keyframe
// requests, the edge's receiver reports, which keep its session there alive) goes back on each
// track's RTCP channel: the puller is the edge group's InterleavedWriter towards its publisher.
// Anything the origin sends that does not parse (a response, its SDP, a frame on a channel never
// set up) fails the pull with a message saying what; nothing else is touched.
//
// Threads: everything on `io`'s one thread (the media loop).
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "media/delivery.hpp"
#include "rtp/byte_io.hpp"
#include "rtsp/rtsp_message.hpp"
#include "sdp/session_description.hpp"

namespace callcast::media {

struct OriginPullerOptions {
  // From connect to PLAY's answer.
  std::chrono::milliseconds setup_timeout{5000};
  // The origin's responses (its SDP included) and interleaved frames are bounded by these.
  std::size_t max_response_bytes = std::size_t{64} * 1024;
  // Bytes queued towards the origin (RTCP, requests) beyond which a write is refused.
  std::size_t max_queued_bytes = std::size_t{256} * 1024;
};

class OriginPuller final : public InterleavedWriter,
                           public std::enable_shared_from_this<OriginPuller> {
 public:
  struct Events {
    // DESCRIBE's SDP, parsed; the tracks set up are its m= lines in order (track i: channels
    // 2i, 2i+1). Returning an error fails the pull with it (callcast cannot relay the tracks).
    std::function<std::optional<std::string>(const sdp::SessionDescription& sdp)> described;
    // One RTP packet (or RTCP compound when `rtcp`) of track `track`, after PLAY was answered.
    std::function<void(std::size_t track, bool rtcp, rtp::Bytes payload)> packet;
    // After the packets of one read from the origin were handed to `packet`: the edge hands its
    // relay's batch to the fan-out then, once per read as for a publisher's RECORD connection.
    std::function<void()> read_done;
    // The pull ended without stop(): why (connection refused or reset, EOF, TEARDOWN by the
    // origin, a non-200 answer, bad input). Runs once; nothing runs after it.
    std::function<void(const std::string& reason)> failed;
  };

  static std::shared_ptr<OriginPuller> create(boost::asio::io_context& io, std::string url,
                                              Events events, OriginPullerOptions options = {});
  OriginPuller(const OriginPuller&) = delete;
  OriginPuller& operator=(const OriginPuller&) = delete;
  ~OriginPuller() override = default;

  void start();
  // TEARDOWN (best effort, when playing) and close; no event runs after it.
  void stop();

  // InterleavedWriter: RTCP towards the origin on one of our channels.
  bool write_packet(std::uint8_t channel, const SharedPacket& packet) override;
  bool write_bytes(std::uint8_t channel, rtp::Bytes bytes) override;

  bool playing() const { return step_ == Step::playing; }
  std::size_t tracks() const { return controls_.size(); }
  std::uint64_t bytes_pulled() const { return bytes_pulled_; }
  std::uint64_t frames_pulled() const { return frames_pulled_; }
  // "host:port" of the origin (for logs).
  const std::string& origin() const { return origin_; }

 private:
  enum class Step { idle, connecting, describe, setup, play, playing, done };
  OriginPuller(boost::asio::io_context& io, std::string url, Events events,
               OriginPullerOptions options);

  void send_request(const std::string& method, const std::string& url,
                    std::vector<std::string> headers);
  void queue(std::string bytes);
  void write_next();
  void read();
  void consume();
  void on_response(const rtsp::RtspResponse& response);
  void on_describe(const rtsp::RtspResponse& response);
  void setup_next();
  std::string resolve(const std::string& control) const;
  void fail(const std::string& reason);
  void close_socket();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  const std::string url_;
  Events events_;
  const OriginPullerOptions options_;
  std::string origin_;
  Step step_ = Step::idle;
  std::uint32_t cseq_ = 0;
  std::string base_;
  std::vector<std::string> controls_;  // each track's SETUP URL
  std::size_t next_setup_ = 0;
  std::string session_;
  std::deque<std::string> out_;  // the first one is being written
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  std::vector<std::uint8_t> in_;
  std::array<std::uint8_t, 16384> chunk_{};
  std::uint64_t bytes_pulled_ = 0;
  std::uint64_t frames_pulled_ = 0;
};

}  // namespace callcast::media
