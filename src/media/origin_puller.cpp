#include "media/origin_puller.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <variant>

#include "rtp/interleaved_frame.hpp"
#include "rtsp/rtsp_url.hpp"
#include "rtsp/transport_header.hpp"

namespace callcast::media {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::shared_ptr<OriginPuller> OriginPuller::create(asio::io_context& io, std::string url,
                                                   Events events, OriginPullerOptions options) {
  return std::shared_ptr<OriginPuller>(
      new OriginPuller(io, std::move(url), std::move(events), options));
}

OriginPuller::OriginPuller(asio::io_context& io, std::string url, Events events,
                           OriginPullerOptions options)
    : socket_(io),
      deadline_(io),
      url_(std::move(url)),
      events_(std::move(events)),
      options_(options) {}

void OriginPuller::start() {
  if (step_ != Step::idle) return;
  auto url = rtsp::parse_rtsp_url(url_);
  if (!url) return fail(url.error());
  origin_ = url->host + ":" + std::to_string(url->port);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(url->host, ec);
  // The cluster names its nodes by address: a name here would need a resolver on the media
  // loop for nothing.
  if (ec) return fail("the origin URL's host is not an IP address: " + url->host);
  step_ = Step::connecting;
  deadline_.expires_after(options_.setup_timeout);
  deadline_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!self || error || self->step_ == Step::playing || self->step_ == Step::done) return;
    self->fail("no PLAY answer within " + std::to_string(self->options_.setup_timeout.count()) +
               " ms");
  });
  socket_.async_connect(tcp::endpoint(address, url->port),
                        [self = shared_from_this()](const boost::system::error_code& error) {
                          if (self->step_ == Step::done) return;
                          if (error) return self->fail("connect: " + error.message());
                          boost::system::error_code ignored;
                          self->socket_.set_option(tcp::no_delay(true), ignored);
                          self->step_ = Step::describe;
                          self->send_request("DESCRIBE", self->url_, {"Accept: application/sdp"});
                          self->read();
                        });
}

void OriginPuller::stop() {
  if (step_ == Step::done) return;
  const bool was_playing = step_ == Step::playing;
  // events_ stays: stop() may be called from inside one of them (the group closing on a packet);
  // none runs once the step is done.
  if (was_playing && socket_.is_open()) {
    // Best effort, without waiting for its answer: the origin ends our session at once rather
    // than at its session timeout. Closing the connection ends it there too.
    send_request("TEARDOWN", base_, {});
  }
  step_ = Step::done;
  deadline_.cancel();
  if (!writing_) close_socket();
  // Otherwise the write in flight closes the socket when it completes.
}

void OriginPuller::close_socket() {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void OriginPuller::send_request(const std::string& method, const std::string& url,
                                std::vector<std::string> headers) {
  std::string text = method + " " + url + " RTSP/1.0\r\nCSeq: " + std::to_string(++cseq_) +
                     "\r\nUser-Agent: callcast-edge\r\n";
  if (!session_.empty()) headers.push_back("Session: " + session_);
  for (const auto& header : headers)
    text += header + "\r\n";
  text += "\r\n";
  queue(std::move(text));
}

void OriginPuller::queue(std::string bytes) {
  queued_bytes_ += bytes.size();
  out_.push_back(std::move(bytes));
  write_next();
}

void OriginPuller::write_next() {
  if (writing_ || out_.empty()) return;
  writing_ = true;
  asio::async_write(
      socket_, asio::buffer(out_.front()),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        self->writing_ = false;
        self->queued_bytes_ -= self->out_.front().size();
        self->out_.pop_front();
        if (self->step_ == Step::done) {
          if (!error && !self->out_.empty()) return self->write_next();
          return self->close_socket();
        }
        if (error) return self->fail("send to the origin: " + error.message());
        self->write_next();
      });
}

bool OriginPuller::write_packet(std::uint8_t channel, const SharedPacket& packet) {
  return write_bytes(channel, rtp::Bytes(packet->bytes.data(), packet->bytes.size()));
}

bool OriginPuller::write_bytes(std::uint8_t channel, rtp::Bytes bytes) {
  if (step_ != Step::playing || bytes.size() > 0xffff) return false;
  if (queued_bytes_ + bytes.size() + 4 > options_.max_queued_bytes) return false;
  std::string frame(4 + bytes.size(), '\0');
  rtp::write_interleaved_header(reinterpret_cast<std::uint8_t*>(frame.data()), channel,
                                bytes.size());
  std::copy(bytes.begin(), bytes.end(), frame.begin() + 4);
  queue(std::move(frame));
  return true;
}

void OriginPuller::read() {
  socket_.async_read_some(
      asio::buffer(chunk_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
        if (self->step_ == Step::done) return;
        if (error == asio::error::eof) return self->fail("the origin closed the connection");
        if (error) return self->fail("read from the origin: " + error.message());
        self->bytes_pulled_ += n;
        self->in_.insert(self->in_.end(), self->chunk_.begin(), self->chunk_.begin() + n);
        self->consume();
        if (self->step_ != Step::done && self->events_.read_done) self->events_.read_done();
        if (self->step_ != Step::done) self->read();
      });
}

void OriginPuller::consume() {
  std::size_t at = 0;
  while (at < in_.size() && step_ != Step::done) {
    const rtp::Bytes rest(in_.data() + at, in_.size() - at);
    const rtp::InterleavedParse parsed = rtp::parse_interleaved_frame(rest);
    if (std::holds_alternative<rtp::NeedMoreData>(parsed)) break;
    if (const auto* frame = std::get_if<rtp::InterleavedFrame>(&parsed)) {
      // Frames come after SETUP chose their channels: anything else is not this stream.
      const std::size_t track = frame->channel / 2;
      if (step_ != Step::playing && step_ != Step::play) {
        return fail("interleaved data on channel " + std::to_string(frame->channel) +
                    " before the tracks were set up");
      }
      if (track >= controls_.size()) {
        return fail("interleaved frame on channel " + std::to_string(frame->channel) +
                    ", which was not set up (" + std::to_string(controls_.size() * 2) +
                    " channels)");
      }
      at += frame->consumed;
      ++frames_pulled_;
      // Media may come right behind PLAY's answer, before it was read: it is the stream's.
      if (events_.packet) events_.packet(track, (frame->channel % 2) == 1, frame->payload);
      continue;
    }
    const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
    auto response = rtsp::parse_response(text, rtsp::ParserLimits{options_.max_response_bytes, 64});
    if (response.status == rtsp::ParseStatus::need_more) {
      if (rest.size() > options_.max_response_bytes) {
        return fail("an RTSP response from the origin over " +
                    std::to_string(options_.max_response_bytes) + " bytes");
      }
      break;
    }
    if (response.status == rtsp::ParseStatus::error) {
      return fail("malformed RTSP response from the origin: " + response.error);
    }
    at += response.consumed;
    on_response(response.message);
  }
  if (step_ != Step::done) in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(at));
}

std::string OriginPuller::resolve(const std::string& control) const {
  if (control.empty() || control == "*") return base_;
  if (control.rfind("rtsp://", 0) == 0) return control;
  return rtsp::with_control(base_, control);
}

void OriginPuller::on_response(const rtsp::RtspResponse& response) {
  static constexpr const char* kNames[] = {"", "connect", "DESCRIBE", "SETUP", "PLAY", "", ""};
  if (step_ == Step::playing) {
    // Answers to what we send while playing (TEARDOWN is only sent on the way out): nothing
    // waits on them.
    return;
  }
  if (response.status != 200) {
    return fail(std::string(kNames[static_cast<int>(step_)]) + " answered " +
                std::to_string(response.status) + " " + response.reason);
  }
  if (auto session = response.header("Session"); session && session_.empty()) {
    session_ = std::string(session->substr(0, session->find(';')));
  }
  switch (step_) {
    case Step::describe:
      return on_describe(response);
    case Step::setup: {
      if (session_.empty()) return fail("SETUP answered without a Session");
      // Our channels are fixed (2i, 2i+1): an origin that moved them would put a track's
      // frames where another's are read.
      const std::size_t track = next_setup_ - 1;
      auto transport = rtsp::parse_transport(response.header("Transport").value_or(""));
      if (!transport || transport->empty() ||
          transport->front().lower != rtsp::LowerTransport::tcp) {
        return fail("SETUP of track " + std::to_string(track) +
                    " answered without an interleaved Transport");
      }
      if (const auto& channels = transport->front().interleaved;
          channels && (channels->first != track * 2 || channels->second != track * 2 + 1)) {
        return fail("SETUP of track " + std::to_string(track) + " answered other channels (" +
                    std::to_string(channels->first) + "-" + std::to_string(channels->second) + ")");
      }
      return setup_next();
    }
    case Step::play:
      step_ = Step::playing;
      deadline_.cancel();
      return;
    default:
      return;
  }
}

void OriginPuller::on_describe(const rtsp::RtspResponse& response) {
  auto type = response.header("Content-Type");
  if (!type || type->find("application/sdp") == std::string_view::npos) {
    return fail("DESCRIBE answered without an application/sdp body");
  }
  auto description = sdp::SessionDescription::parse(response.body);
  if (!description) return fail("the origin's SDP does not parse: " + description.error());
  if (description->media.empty()) return fail("the origin's SDP has no track");
  base_ = std::string(response.header("Content-Base").value_or(url_));
  if (base_.rfind("rtsp://", 0) != 0) return fail("the origin's Content-Base is no rtsp:// URL");
  for (const auto& media : description->media) {
    controls_.push_back(resolve(std::string(media.attribute("control").value_or(""))));
  }
  if (events_.described) {
    if (auto refused = events_.described(*description)) return fail(*refused);
  }
  if (step_ == Step::done) return;
  step_ = Step::setup;
  setup_next();
}

void OriginPuller::setup_next() {
  if (next_setup_ == controls_.size()) {
    step_ = Step::play;
    return send_request("PLAY", base_, {"Range: npt=now-"});
  }
  const std::size_t track = next_setup_++;
  send_request("SETUP", controls_[track],
               {"Transport: RTP/AVP/TCP;unicast;interleaved=" + std::to_string(track * 2) + "-" +
                std::to_string(track * 2 + 1)});
}

void OriginPuller::fail(const std::string& reason) {
  if (step_ == Step::done) return;
  step_ = Step::done;
  deadline_.cancel();
  if (!writing_) close_socket();
  auto failed = std::move(events_.failed);
  if (failed) failed(reason);
}

}  // namespace callcast::media
