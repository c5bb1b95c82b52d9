#include "loadgen/rtsp_publisher.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <string_view>
#include <variant>

#include "rtp/interleaved_frame.hpp"
#include "rtsp/rtsp_url.hpp"

namespace callcast::loadgen {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// callcastd's answers are a few hundred bytes; this only bounds a misbehaving server.
const rtsp::ParserLimits kResponseLimits{64 * 1024, 64};

// One H.264 track (RFC 6184) under the control name of GStreamer's rtspclientsink.
constexpr std::string_view kAnnouncedSdp =
    "v=0\r\n"
    "o=- 0 0 IN IP4 127.0.0.1\r\n"
    "s=callcast-bench\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1\r\n"
    "a=control:stream=0\r\n";

// Takes complete interleaved frames ('$' channel length payload, RFC 2326 §10.12) off the front
// of `buffer`. False when a frame is incomplete.
bool drop_interleaved_frames(std::string& buffer) {
  while (!buffer.empty() && buffer.front() == '$') {
    const rtp::Bytes bytes(reinterpret_cast<const std::uint8_t*>(buffer.data()), buffer.size());
    const auto parsed = rtp::parse_interleaved_frame(bytes);
    const auto* frame = std::get_if<rtp::InterleavedFrame>(&parsed);
    if (frame == nullptr) return false;
    buffer.erase(0, frame->consumed);
  }
  return true;
}

}  // namespace

std::shared_ptr<RtspPublisher> RtspPublisher::create(asio::io_context& io, std::string publish_url,
                                                     std::chrono::milliseconds timeout,
                                                     RtspRecordOptions options) {
  return std::shared_ptr<RtspPublisher>(
      new RtspPublisher(io, std::move(publish_url), timeout, std::move(options)));
}

RtspPublisher::RtspPublisher(asio::io_context& io, std::string publish_url,
                             std::chrono::milliseconds timeout, RtspRecordOptions options)
    : io_(io),
      socket_(io),
      deadline_(io),
      url_(std::move(publish_url)),
      timeout_(timeout),
      options_(std::move(options)) {}

void RtspPublisher::start(Done done, bool keep_reading) {
  keep_reading_ = keep_reading;
  asio::post(io_, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->begin(std::move(done));
  });
}

void RtspPublisher::close() {
  asio::post(io_, [self = shared_from_this()] {
    self->finish("closed before RECORD was answered");
    boost::system::error_code ignored;
    self->socket_.close(ignored);
  });
}

void RtspPublisher::begin(Done done) {
  done_ = std::move(done);
  const auto authority = rtsp::parse_rtsp_url(url_);
  boost::system::error_code ec;
  const auto address =
      authority ? asio::ip::make_address(authority->host, ec) : asio::ip::address();
  if (!authority || ec) return finish("not an rtsp:// URL with an IP address: " + url_);
  deadline_.expires_after(timeout_);
  deadline_.async_wait([self = shared_from_this()](boost::system::error_code e) {
    if (e) return;  // cancelled: the set-up finished in time
    self->finish(self->step_ + ": no answer within " + std::to_string(self->timeout_.count()) +
                 " ms");
  });
  socket_.async_connect(tcp::endpoint(address, authority->port), [self = shared_from_this()](
                                                                     boost::system::error_code e) {
    if (e) return self->finish("connect: " + e.message());
    boost::system::error_code ignored;
    self->socket_.set_option(tcp::no_delay(true), ignored);
    self->send_request(
        "ANNOUNCE", self->url_, {"Content-Type: application/sdp"},
        self->options_.sdp.empty() ? std::string(kAnnouncedSdp) : self->options_.sdp);
  });
}

void RtspPublisher::send_request(std::string method, const std::string& url,
                                 const std::vector<std::string>& headers, const std::string& body) {
  out_ = method + " " + url + " RTSP/1.0\r\nCSeq: " + std::to_string(++cseq_) +
         "\r\nUser-Agent: callcast-bench\r\n";
  if (!session_.empty()) out_ += "Session: " + session_ + "\r\n";
  for (const auto& header : headers) {
    out_ += header + "\r\n";
  }
  if (!body.empty()) out_ += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out_ += "\r\n" + body;
  step_ = std::move(method);
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this()](boost::system::error_code e, std::size_t) {
                      if (e) return self->finish(self->step_ + ": write: " + e.message());
                      self->read_response();
                    });
}

void RtspPublisher::read_response() {
  if (!done_) return;  // finished meanwhile (timeout, close)
  if (drop_interleaved_frames(in_) && !in_.empty()) {
    auto parsed = rtsp::parse_response(in_, kResponseLimits);
    if (parsed.status == rtsp::ParseStatus::error) {
      return finish(step_ + ": unreadable answer (" + parsed.error + ")");
    }
    if (parsed.status == rtsp::ParseStatus::complete) {
      in_.erase(0, parsed.consumed);
      return on_response(parsed.message);
    }
  }
  socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](
                                                    boost::system::error_code e, std::size_t n) {
    if (e) return self->finish(self->step_ + ": connection lost (" + e.message() + ")");
    self->in_.append(self->chunk_.data(), n);
    self->read_response();
  });
}

void RtspPublisher::on_response(const rtsp::RtspResponse& response) {
  if (response.status != 200) {
    std::string error = step_ + " -> " + std::to_string(response.status) + " " + response.reason;
    if (auto warning = response.header("Warning")) error += " (" + std::string(*warning) + ")";
    return finish(error);
  }
  if (step_ == "ANNOUNCE") return setup_next_track();
  if (step_ == "SETUP") {
    if (session_.empty()) {
      const auto session = response.header("Session");
      if (!session) return finish("SETUP -> 200 without a Session header");
      session_ = std::string(session->substr(0, session->find(';')));
    }
    if (tracks_set_up_ < options_.controls.size()) return setup_next_track();
    return send_request("RECORD", url_, {"Range: npt=0.000-"});
  }
  // RECORD answered: the media side reports master_joined, callcastd answers the INVITE.
  deadline_.cancel();
  step_ = "recording";
  auto done = std::move(done_);
  done_ = nullptr;
  done({});
  if (keep_reading_) drop_incoming();
}

void RtspPublisher::setup_next_track() {
  const std::size_t track = tracks_set_up_++;
  const std::string& control = options_.controls[track];
  // callcastd accepts both forms of a control URL (rtsp/group_url.hpp).
  const std::string url =
      options_.control_before_query ? rtsp::with_control(url_, control) : url_ + "/" + control;
  const std::string channels = std::to_string(2 * track) + "-" + std::to_string(2 * track + 1);
  send_request("SETUP", url,
               {"Transport: RTP/AVP/TCP;unicast;interleaved=" + channels + ";mode=record"});
}

int RtspPublisher::release() {
  if (step_ != "recording" || !socket_.is_open()) return -1;
  boost::system::error_code ec;
  const int fd = socket_.release(ec);
  return ec ? -1 : fd;
}

void RtspPublisher::drop_incoming() {
  socket_.async_read_some(asio::buffer(chunk_),
                          [self = shared_from_this()](boost::system::error_code e, std::size_t) {
                            if (!e) self->drop_incoming();
                          });
}

void RtspPublisher::finish(const std::string& error) {
  if (!done_) return;
  deadline_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  auto done = std::move(done_);
  done_ = nullptr;
  done(error);
}

Result<int, std::string> rtsp_record(const std::string& publish_url, const std::string& sdp,
                                     std::chrono::milliseconds timeout) {
  asio::io_context io;
  RtspRecordOptions options;
  options.sdp = sdp;
  options.controls = {"trackID=0", "trackID=1"};
  options.control_before_query = true;
  auto publisher = RtspPublisher::create(io, publish_url, timeout, std::move(options));
  std::string error = "no answer";
  int fd = -1;
  publisher->start(
      [&](const std::string& result) {
        error = result;
        if (result.empty()) fd = publisher->release();
      },
      /*keep_reading=*/false);
  io.run();  // the publisher's deadline bounds it
  if (!error.empty()) return fail(error);
  if (fd < 0) return fail(std::string("RECORD answered, but the socket could not be taken over"));
  // Asio left the socket non-blocking; the sink sends blocking, bounded by SO_SNDTIMEO.
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval limit{static_cast<time_t>(timeout.count() / 1000),
                static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  return fd;
}

}  // namespace callcast::loadgen
