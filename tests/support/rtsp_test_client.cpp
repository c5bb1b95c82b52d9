#include "support/rtsp_test_client.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <charconv>

#include "rtp/interleaved_frame.hpp"

namespace callcast::test {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Large enough for any response callcastd sends (DESCRIBE bodies are small).
const rtsp::ParserLimits kLimits{256 * 1024, 256};

}  // namespace

struct RtspTestClient::Impl {
  asio::io_context io;
  tcp::socket socket{io};

  // Runs io until `done` or the timeout; on timeout cancels the pending operation and lets its
  // handler run (with operation_aborted) before returning.
  void run(const bool& done, Duration timeout) {
    io.restart();
    io.run_for(timeout);
    if (!done) {
      boost::system::error_code ignored;
      socket.cancel(ignored);
      io.restart();
      io.run_for(std::chrono::seconds(1));
    }
  }
};

std::optional<UrlAuthority> rtsp_authority(std::string_view url) {
  constexpr std::string_view scheme = "rtsp://";
  if (!url.starts_with(scheme)) return std::nullopt;
  url.remove_prefix(scheme.size());
  const auto end = url.find_first_of("/?");
  const auto authority = url.substr(0, end);
  UrlAuthority out;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  unsigned value = 554;
  if (!port_text.empty()) {
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return std::nullopt;
    }
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

RtspTestClient::RtspTestClient(Duration timeout)
    : impl_(std::make_unique<Impl>()), timeout_(timeout) {}

RtspTestClient::~RtspTestClient() {
  disconnect();
}

bool RtspTestClient::connect(const std::string& host, std::uint16_t port) {
  disconnect();
  closed_ = false;
  received_.clear();
  interleaved_.clear();
  session_.clear();
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    error_ = "bad host " + host;
    return false;
  }
  bool done = false;
  impl_->socket.async_connect(tcp::endpoint(address, port), [&](boost::system::error_code e) {
    ec = e;
    done = true;
  });
  impl_->run(done, timeout_);
  if (!done || ec) {
    error_ = "connect to " + host + ":" + std::to_string(port) + ": " +
             (done ? ec.message() : std::string("timed out"));
    disconnect();
    return false;
  }
  impl_->socket.set_option(tcp::no_delay(true), ec);
  return true;
}

bool RtspTestClient::connect_to(std::string_view url) {
  auto authority = rtsp_authority(url);
  if (!authority) {
    error_ = "not an rtsp:// URL: " + std::string(url);
    return false;
  }
  return connect(authority->host, authority->port);
}

void RtspTestClient::disconnect() {
  boost::system::error_code ignored;
  if (impl_->socket.is_open()) {
    impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
    impl_->socket.close(ignored);
  }
}

void RtspTestClient::reset_connection() {
  boost::system::error_code ignored;
  if (impl_->socket.is_open()) {
    impl_->socket.set_option(asio::socket_base::linger(true, 0), ignored);
    impl_->socket.close(ignored);
  }
}

bool RtspTestClient::connected() const {
  return impl_->socket.is_open() && !closed_;
}

bool RtspTestClient::send_raw(std::string_view bytes) {
  if (!impl_->socket.is_open()) {
    error_ = "not connected";
    return false;
  }
  boost::system::error_code ec;
  bool done = false;
  asio::async_write(impl_->socket, asio::buffer(bytes.data(), bytes.size()),
                    [&](boost::system::error_code e, std::size_t) {
                      ec = e;
                      done = true;
                    });
  impl_->run(done, timeout_);
  if (!done || ec) {
    error_ = "write: " + (done ? ec.message() : std::string("timed out"));
    return false;
  }
  return true;
}

bool RtspTestClient::send_interleaved(std::uint8_t channel, std::span<const std::uint8_t> payload) {
  std::string frame(4, '\0');
  std::uint8_t header[4];
  rtp::write_interleaved_header(header, channel, payload.size());
  std::copy(std::begin(header), std::end(header), frame.begin());
  frame.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  return send_raw(frame);
}

bool RtspTestClient::read_more(Duration timeout) {
  if (closed_ || !impl_->socket.is_open()) {
    error_ = "connection closed";
    return false;
  }
  char chunk[16384];
  boost::system::error_code ec;
  std::size_t got = 0;
  bool done = false;
  impl_->socket.async_read_some(asio::buffer(chunk),
                                [&](boost::system::error_code e, std::size_t n) {
                                  ec = e;
                                  got = n;
                                  done = true;
                                });
  impl_->run(done, timeout);
  received_.append(chunk, got);
  if (!done || ec == asio::error::operation_aborted) {
    error_ = "timed out after " + std::to_string(timeout.count()) + " ms";
    return false;
  }
  if (ec) {
    closed_ = true;
    error_ = "connection closed by the server (" + ec.message() + ")";
    return got > 0;
  }
  return true;
}

void RtspTestClient::take_interleaved_frames() {
  while (!received_.empty() && received_.front() == '$') {
    const rtp::Bytes bytes(reinterpret_cast<const std::uint8_t*>(received_.data()),
                           received_.size());
    auto frame = rtp::parse_interleaved_frame(bytes);
    auto* f = std::get_if<rtp::InterleavedFrame>(&frame);
    if (!f) return;
    interleaved_.push_back({f->channel, {f->payload.begin(), f->payload.end()}});
    received_.erase(0, f->consumed);
  }
}

std::optional<rtsp::RtspResponse> RtspTestClient::read_response(std::optional<Duration> timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(timeout_);
  for (;;) {
    // Interleaved frames the server sends in between (TCP viewers, RTCP) are set aside.
    take_interleaved_frames();
    if (!received_.empty() && received_.front() != '$') {
      auto parsed = rtsp::parse_response(received_, kLimits);
      if (parsed.status == rtsp::ParseStatus::complete) {
        received_.erase(0, parsed.consumed);
        return std::move(parsed.message);
      }
      if (parsed.status == rtsp::ParseStatus::error) {
        error_ = "unparsable response (" + parsed.error + "): " + received_.substr(0, 300);
        return std::nullopt;
      }
    }
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      error_ = "no response within the timeout";
      return std::nullopt;
    }
    if (!read_more(left)) {
      if (!closed_) return std::nullopt;
      if (received_.empty()) return std::nullopt;
      // Closed, but a last response may be complete in what arrived: parse it on the next turn.
      auto parsed = rtsp::parse_response(received_, kLimits);
      if (parsed.status == rtsp::ParseStatus::complete) {
        received_.erase(0, parsed.consumed);
        return std::move(parsed.message);
      }
      return std::nullopt;
    }
  }
}

bool RtspTestClient::wait_closed(Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (!read_more(left) && !closed_) break;
    // A server that streams until it closes must not grow the buffer without bound; what it
    // said first (the answer to the bad request) is what a test looks at.
    if (received_.size() > 65536) received_.resize(65536);
  }
  return closed_;
}

std::optional<InterleavedPacket> RtspTestClient::read_interleaved(std::uint8_t channel,
                                                                  Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    while (!interleaved_.empty()) {
      auto packet = std::move(interleaved_.front());
      interleaved_.pop_front();
      if (packet.channel == channel) return packet;
    }
    take_interleaved_frames();
    if (!interleaved_.empty()) continue;
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !read_more(left)) return std::nullopt;
  }
}

std::optional<rtsp::RtspResponse> RtspTestClient::request(std::string_view method,
                                                          std::string_view url,
                                                          const std::vector<std::string>& headers,
                                                          std::string_view body) {
  std::string text;
  text.append(method).append(" ").append(url).append(" RTSP/1.0\r\n");
  text += "CSeq: " + std::to_string(cseq_++) + "\r\n";
  text += "User-Agent: callcast-e2e\r\n";
  if (!session_.empty()) text += "Session: " + session_ + "\r\n";
  for (const auto& header : headers)
    text += header + "\r\n";
  if (!body.empty()) text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  text += "\r\n";
  text.append(body);
  if (!send_raw(text)) return std::nullopt;
  auto response = read_response();
  if (response && response->status / 100 == 2) {
    if (auto session = response->header("Session")) {
      session_ = std::string(session->substr(0, session->find(';')));
    }
  }
  return response;
}

std::optional<rtsp::RtspResponse> RtspTestClient::describe(std::string_view url) {
  return request("DESCRIBE", url, {"Accept: application/sdp"});
}

std::optional<rtsp::RtspResponse> RtspTestClient::setup_udp(std::string_view track_url,
                                                            std::uint16_t rtp_port) {
  return request("SETUP", track_url,
                 {"Transport: RTP/AVP;unicast;client_port=" + std::to_string(rtp_port) + "-" +
                  std::to_string(rtp_port + 1)});
}

std::optional<rtsp::RtspResponse> RtspTestClient::setup_tcp(std::string_view track_url,
                                                            std::uint8_t rtp_channel, bool record) {
  return request("SETUP", track_url,
                 {"Transport: RTP/AVP/TCP;unicast;interleaved=" + std::to_string(rtp_channel) +
                  "-" + std::to_string(rtp_channel + 1) + (record ? ";mode=record" : "")});
}

std::optional<rtsp::RtspResponse> RtspTestClient::play(std::string_view url) {
  return request("PLAY", url, {"Range: npt=now-"});
}

std::optional<rtsp::RtspResponse> RtspTestClient::announce(std::string_view url,
                                                           std::string_view sdp) {
  return request("ANNOUNCE", url, {"Content-Type: application/sdp"}, sdp);
}

std::optional<rtsp::RtspResponse> RtspTestClient::record(std::string_view url) {
  return request("RECORD", url, {"Range: npt=0.000-"});
}

std::optional<rtsp::RtspResponse> RtspTestClient::teardown(std::string_view url) {
  return request("TEARDOWN", url);
}

std::vector<SdpTrack> sdp_tracks(std::string_view sdp, std::string_view base) {
  std::vector<SdpTrack> tracks;
  while (!sdp.empty()) {
    const auto end = sdp.find('\n');
    std::string_view line = sdp.substr(0, end);
    sdp = end == std::string_view::npos ? std::string_view{} : sdp.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("m=")) {
      SdpTrack track;
      // m=<media> <port> <proto> <fmt> ...
      const auto space = line.find(' ');
      track.media = std::string(line.substr(2, space - 2));
      std::string_view rest = space == std::string_view::npos ? "" : line.substr(space + 1);
      for (int skip = 0; skip < 2; ++skip) {
        const auto next = rest.find(' ');
        rest = next == std::string_view::npos ? "" : rest.substr(next + 1);
      }
      int pt = -1;
      std::from_chars(rest.data(), rest.data() + rest.size(), pt);
      track.payload_type = pt;
      tracks.push_back(track);
    } else if (!tracks.empty() && line.starts_with("a=control:")) {
      std::string control(line.substr(10));
      if (!control.starts_with("rtsp://")) {
        std::string prefix(base);
        if (!prefix.empty() && prefix.back() != '/') prefix += '/';
        control = prefix + control;
      }
      tracks.back().control = control;
    } else if (!tracks.empty() && line.starts_with("a=rtpmap:")) {
      const auto space = line.find(' ');
      const auto slash = line.find('/', space);
      if (space != std::string_view::npos) {
        tracks.back().encoding = std::string(line.substr(space + 1, slash - space - 1));
      }
    }
  }
  return tracks;
}

}  // namespace callcast::test
