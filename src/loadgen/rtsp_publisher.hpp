#pragma once
// The load generator's one RTSP publisher (patent step 705): RTSP over TCP to a publish URL,
//
//   ANNOUNCE <url>             the SDP of RtspRecordOptions
//   SETUP <track control>      Transport: RTP/AVP/TCP;unicast;interleaved=<2k>-<2k+1>;mode=record
//   ...                        one SETUP per track, the Session of the first one's answer
//   RECORD <url>               Range: npt=0.000-
//
// The SIP benchmark's masters (default options: one H.264 track, no media sent: the benchmark
// measures signaling) keep the connection open until close() and drop whatever the server sends
// (interleaved RTCP). The fan-out benchmark's master (rtsp_record()) takes the socket over after
// RECORD and sends the clip interleaved on it.
//
// Threads: every step runs on `io`, which must be run by one thread; start() and close() may be
// called from any thread. The object keeps itself alive while an operation is pending.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

// Asio through callcast's one switch for its GCC 12 -O2 warning (io_context, tcp, steady_timer).
#include "core/result.hpp"
#include "http/beast.hpp"
#include "rtsp/rtsp_message.hpp"

namespace callcast::loadgen {

struct RtspRecordOptions {
  // The announced SDP; empty: one H.264 track (RFC 6184) named stream=0, as GStreamer's
  // rtspclientsink names it.
  std::string sdp;
  // The tracks' control names, one SETUP each (track k on interleaved channels 2k and 2k+1).
  std::vector<std::string> controls = {"stream=0"};
  // Where a track's control goes: after the whole publish URL, query included, as ffmpeg builds
  // it (false), or before the query as GStreamer does (true). callcastd accepts both.
  bool control_before_query = false;
};

class RtspPublisher : public std::enable_shared_from_this<RtspPublisher> {
 public:
  // Empty when RECORD was answered 200; else what failed ("SETUP -> 454 Session Not Found").
  using Done = std::function<void(const std::string& error)>;

  static std::shared_ptr<RtspPublisher> create(boost::asio::io_context& io, std::string publish_url,
                                               std::chrono::milliseconds timeout,
                                               RtspRecordOptions options = {});
  RtspPublisher(const RtspPublisher&) = delete;
  RtspPublisher& operator=(const RtspPublisher&) = delete;

  // Connects and records; `done` runs once, on io's thread, within the timeout. When
  // `keep_reading` is false the connection is left alone after RECORD (see release()).
  void start(Done done, bool keep_reading = true);
  // Closes the connection; a set-up still running ends with an error.
  void close();
  // After RECORD, on io's thread: the connected socket, now the caller's (-1 when there is
  // none). The object no longer touches it.
  int release();

 private:
  RtspPublisher(boost::asio::io_context& io, std::string publish_url,
                std::chrono::milliseconds timeout, RtspRecordOptions options);

  void begin(Done done);
  void send_request(std::string method, const std::string& url,
                    const std::vector<std::string>& headers, const std::string& body = {});
  void setup_next_track();
  void read_response();
  void on_response(const rtsp::RtspResponse& response);
  void drop_incoming();  // after RECORD: read until the connection closes
  void finish(const std::string& error);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  const std::string url_;
  const std::chrono::milliseconds timeout_;
  const RtspRecordOptions options_;
  bool keep_reading_ = true;
  Done done_;
  std::string step_ = "connect";  // the request waiting for its answer, for error messages
  std::size_t tracks_set_up_ = 0;
  std::uint32_t cseq_ = 0;
  std::string session_;
  std::string out_;
  std::string in_;
  std::array<char, 4096> chunk_{};
};

// Blocking: records `sdp` with tracks trackID=0 (video, channels 0-1) and trackID=1 (audio,
// 2-3), controls before the query, and returns the connected socket in RECORD state (the
// caller's), blocking with send and receive timeouts of `timeout`, ready for interleaved RTP.
// Errors say which request failed and how ("SETUP -> 461 Unsupported Transport").
Result<int, std::string> rtsp_record(const std::string& publish_url, const std::string& sdp,
                                     std::chrono::milliseconds timeout);

}  // namespace callcast::loadgen
