#include "rtsp_publisher.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <string_view>
#include <variant>

#include "rtp/interleaved_frame.hpp"

namespace callcast::bench {

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

struct Authority {
  std::string host;
  std::uint16_t port = 554;
};

// host and port of rtsp://host[:port]/...; IPv6 literals in brackets.
std::optional<Authority> authority_of(std::string_view url) {
  constexpr std::string_view scheme = "rtsp://";
  if (!url.starts_with(scheme)) return std::nullopt;
  url.remove_prefix(scheme.size());
  std::string_view authority = url.substr(0, url.find_first_of("/?"));
  Authority out;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

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
                                                     std::chrono::milliseconds timeout) {
  return std::shared_ptr<RtspPublisher>(new RtspPublisher(io, std::move(publish_url), timeout));
}

RtspPublisher::RtspPublisher(asio::io_context& io, std::string publish_url,
                             std::chrono::milliseconds timeout)
    : io_(io), socket_(io), deadline_(io), url_(std::move(publish_url)), timeout_(timeout) {}

void RtspPublisher::start(Done done) {
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
  const auto authority = authority_of(url_);
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
    self->send_request("ANNOUNCE", self->url_, {"Content-Type: application/sdp"},
                       std::string(kAnnouncedSdp));
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
  if (step_ == "ANNOUNCE") {
    // The control URL after the whole publish URL, query included, as ffmpeg builds it;
    // callcastd accepts that form and GStreamer's (rtsp/group_url.hpp).
    return send_request("SETUP", url_ + "/stream=0",
                        {"Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"});
  }
  if (step_ == "SETUP") {
    const auto session = response.header("Session");
    if (!session) return finish("SETUP -> 200 without a Session header");
    session_ = std::string(session->substr(0, session->find(';')));
    return send_request("RECORD", url_, {"Range: npt=0.000-"});
  }
  // RECORD answered: the media side reports master_joined, callcastd answers the INVITE.
  deadline_.cancel();
  step_ = "recording";
  auto done = std::move(done_);
  done_ = nullptr;
  done({});
  drop_incoming();
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

}  // namespace callcast::bench
