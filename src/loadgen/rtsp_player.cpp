#include "loadgen/rtsp_player.hpp"

#include <cerrno>

#include "rtsp/rtsp_url.hpp"
#include "sdp/session_description.hpp"

namespace callcast::loadgen {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::shared_ptr<RtspPlayer> RtspPlayer::create(asio::io_context& io, std::string url,
                                               PlayerPorts ports,
                                               std::chrono::milliseconds timeout) {
  return std::shared_ptr<RtspPlayer>(new RtspPlayer(io, std::move(url), ports, timeout));
}

RtspPlayer::RtspPlayer(asio::io_context& io, std::string url, PlayerPorts ports,
                       std::chrono::milliseconds timeout)
    : socket_(io), deadline_(io), url_(std::move(url)), ports_(ports), timeout_(timeout) {}

void RtspPlayer::start(Done done) {
  done_ = std::move(done);
  auto url = rtsp::parse_rtsp_url(url_);
  if (!url) return finish(url.error());
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(url->host, ec);
  if (ec) return finish("not a numeric host: " + url->host);
  deadline_.expires_after(timeout_);
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (!error) self->finish("no answer within the set-up timeout");
  });
  socket_.async_connect(tcp::endpoint(address, url->port),
                        [self = shared_from_this()](const boost::system::error_code& error) {
                          if (error) {
                            self->failed_locally_ =
                                error.category() == boost::system::system_category() &&
                                is_local_resource_error(error.value());
                            return self->finish("connect: " + error.message());
                          }
                          boost::system::error_code ignored;
                          self->socket_.set_option(tcp::no_delay(true), ignored);
                          self->step_ = Step::describe;
                          self->send("DESCRIBE", self->url_, {"Accept: application/sdp"});
                          self->read();
                        });
}

bool RtspPlayer::is_local_resource_error(int error_number) {
  return error_number == EMFILE || error_number == ENFILE || error_number == ENOBUFS ||
         error_number == ENOMEM || error_number == EADDRNOTAVAIL;
}

void RtspPlayer::close() {
  deadline_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  if (done_) finish("closed");
}

void RtspPlayer::send(const std::string& method, const std::string& url,
                      std::vector<std::string> headers) {
  std::string text = method + " " + url + " RTSP/1.0\r\nCSeq: " + std::to_string(++cseq_) +
                     "\r\nUser-Agent: callcast-bench\r\n";
  if (!session_.empty()) headers.push_back("Session: " + session_);
  for (const auto& header : headers)
    text += header + "\r\n";
  text += "\r\n";
  // One request at a time: the previous write finished before its answer came.
  out_ = std::move(text);
  asio::async_write(
      socket_, asio::buffer(out_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        if (error) self->finish("send: " + error.message());
      });
}

void RtspPlayer::read() {
  socket_.async_read_some(
      asio::buffer(chunk_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
        if (error) {
          if (self->step_ != Step::playing) self->finish("read: " + error.message());
          return;
        }
        if (self->step_ == Step::playing) return self->read();  // dropped
        self->in_.append(self->chunk_.data(), n);
        for (int round = 0; round < 8 && self->step_ != Step::playing && self->done_; ++round) {
          auto parsed = rtsp::parse_response(self->in_, rtsp::ParserLimits{64 * 1024, 64});
          if (parsed.status == rtsp::ParseStatus::need_more) break;
          if (parsed.status == rtsp::ParseStatus::error) {
            return self->finish("bad RTSP response: " + parsed.error);
          }
          self->in_.erase(0, parsed.consumed);
          self->on_response(parsed.message);
        }
        if (self->done_ || self->step_ == Step::playing) self->read();
      });
}

std::string RtspPlayer::resolve(const std::string& control) const {
  if (control.empty() || control == "*") return base_;
  if (control.rfind("rtsp://", 0) == 0) return control;
  return rtsp::with_control(base_, control);
}

void RtspPlayer::on_describe(const rtsp::RtspResponse& response) {
  auto description = sdp::SessionDescription::parse(response.body);
  if (!description) return finish("DESCRIBE: bad SDP: " + description.error());
  base_ = std::string(response.header("Content-Base").value_or(url_));
  for (const auto& media : description->media) {
    const std::string control(media.attribute("control").value_or(""));
    if (media.media == "video" && video_control_.empty()) video_control_ = resolve(control);
    if (media.media == "audio" && audio_control_.empty()) audio_control_ = resolve(control);
  }
  if (video_control_.empty()) return finish("DESCRIBE: no video track");
  step_ = Step::setup_video;
  setup(video_control_, ports_.video_rtp, ports_.video_rtcp);
}

void RtspPlayer::setup(const std::string& control_url, std::uint16_t rtp, std::uint16_t rtcp) {
  send("SETUP", control_url,
       {"Transport: RTP/AVP;unicast;client_port=" + std::to_string(rtp) + "-" +
        std::to_string(rtcp)});
}

void RtspPlayer::on_response(const rtsp::RtspResponse& response) {
  static constexpr const char* kNames[] = {"connect", "DESCRIBE", "SETUP", "SETUP", "PLAY", ""};
  if (response.status != 200) {
    return finish(std::string(kNames[static_cast<int>(step_)]) + " -> " +
                  std::to_string(response.status) + " " + response.reason);
  }
  if (auto session = response.header("Session"); session && session_.empty()) {
    session_ = std::string(session->substr(0, session->find(';')));
  }
  switch (step_) {
    case Step::describe:
      return on_describe(response);
    case Step::setup_video:
      if (!audio_control_.empty()) {
        step_ = Step::setup_audio;
        return setup(audio_control_, ports_.audio_rtp, ports_.audio_rtcp);
      }
      [[fallthrough]];
    case Step::setup_audio:
      step_ = Step::play;
      return send("PLAY", base_, {"Range: npt=now-"});
    case Step::play:
      step_ = Step::playing;
      return finish("");
    case Step::connect:
    case Step::playing:
      return;
  }
}

void RtspPlayer::finish(const std::string& error) {
  if (!done_) return;
  Done done = std::move(done_);
  done_ = nullptr;
  deadline_.cancel();
  if (!error.empty()) {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  done(error);
}

}  // namespace callcast::loadgen
