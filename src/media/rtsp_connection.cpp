#include "media/rtsp_connection.hpp"

#include <boost/asio/write.hpp>
#include <cstring>

#include "rtp/interleaved_frame.hpp"

namespace callcast::media {

namespace asio = boost::asio;

RtspConnection::RtspConnection(asio::ip::tcp::socket socket, RtspConnectionHandler& handler,
                               ConnectionLimits limits, std::uint64_t id,
                               const core::TimeSource& time)
    : socket_(std::move(socket)),
      handler_(handler),
      limits_(limits),
      id_(id),
      // Room, at most, for the largest request or one maximal interleaved frame (4 + 65535
      // bytes); it starts small because most connections are viewers that only send a few
      // short requests, and grows when a publisher's media arrives.
      max_buffer_(std::max(limits.parser.max_message_bytes, std::size_t{4 + 65535}) + 4096),
      buffer_(kInitialBuffer),
      last_activity_(time.now()),
      time_(time) {
  boost::system::error_code ec;
  remote_ = socket_.remote_endpoint(ec);
  local_ = socket_.local_endpoint(ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

void RtspConnection::start() {
  read();
}

void RtspConnection::read() {
  if (closed_ || closing_) return;
  // A read that filled all the room it had means more is coming (a publisher's media): grow,
  // so that a whole frame arrives in one read and leaves in one fan-out batch.
  if ((read_filled_ || buffer_.size() - buffered_ < kInitialBuffer / 2) &&
      buffer_.size() < max_buffer_) {
    buffer_.resize(std::min(max_buffer_, buffer_.size() * 4));
  }
  const std::size_t room = buffer_.size() - buffered_;
  socket_.async_read_some(
      asio::buffer(buffer_.data() + buffered_, room),
      [self = shared_from_this(), room](const boost::system::error_code& ec, std::size_t size) {
        if (self->closed_) return;
        if (ec) {
          self->finish(ec == asio::error::eof ? "peer closed the connection" : ec.message());
          return;
        }
        self->read_filled_ = size == room;
        self->buffered_ += size;
        self->last_activity_ = self->time_.now();
        self->process();
        if (!self->closed_) self->handler_.on_read_done(*self);
        self->read();
      });
}

void RtspConnection::process() {
  std::size_t offset = 0;
  while (offset < buffered_ && !closed_ && !closing_) {
    const rtp::Bytes rest(buffer_.data() + offset, buffered_ - offset);
    auto frame = rtp::parse_interleaved_frame(rest);
    if (auto* f = std::get_if<rtp::InterleavedFrame>(&frame)) {
      handler_.on_interleaved(*this, f->channel, f->payload);
      offset += f->consumed;
      continue;
    }
    if (std::holds_alternative<rtp::NeedMoreData>(frame)) break;
    const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
    auto parsed = rtsp::parse_request(text, limits_.parser);
    if (parsed.status == rtsp::ParseStatus::need_more) break;
    if (parsed.status == rtsp::ParseStatus::error) {
      handler_.on_bad_message(*this, parsed.error_status, parsed.error);
      buffered_ = 0;
      return;
    }
    ++requests_;
    offset += parsed.consumed;
    handler_.on_request(*this, std::move(parsed.message));
  }
  if (offset > 0 && offset < buffered_) {
    std::memmove(buffer_.data(), buffer_.data() + offset, buffered_ - offset);
  }
  buffered_ -= std::min(offset, buffered_);
  if (buffered_ == max_buffer_) {
    // Cannot happen with the parser's size limit; guard against a stuck read anyway.
    handler_.on_bad_message(*this, 413, "message larger than the receive buffer");
    buffered_ = 0;
  }
}

void RtspConnection::send(const rtsp::RtspResponse& response) {
  if (closed_ || closing_) return;
  Outgoing out;
  out.text = response.serialize();
  queued_bytes_ += out.text.size();
  queue_.push_back(std::move(out));
  write_next();
}

bool RtspConnection::write_packet(std::uint8_t channel, const SharedPacket& packet) {
  if (closed_ || closing_ || packet->bytes.size() > 65535) return false;
  // The caller counts what was refused (the viewer's packets_dropped).
  if (queued_bytes_ + packet->bytes.size() > limits_.max_queued_bytes) return false;
  Outgoing out;
  rtp::write_interleaved_header(out.header.data(), channel, packet->bytes.size());
  out.packet = packet;
  queued_bytes_ += packet->bytes.size() + 4;
  queue_.push_back(std::move(out));
  write_next();
  return true;
}

bool RtspConnection::write_bytes(std::uint8_t channel, rtp::Bytes bytes) {
  if (closed_ || closing_ || bytes.size() > 65535) return false;
  if (queued_bytes_ + bytes.size() > limits_.max_queued_bytes) return false;
  Outgoing out;
  std::array<std::uint8_t, 4> header{};
  rtp::write_interleaved_header(header.data(), channel, bytes.size());
  out.text.assign(header.begin(), header.end());
  out.text.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  queued_bytes_ += out.text.size();
  queue_.push_back(std::move(out));
  write_next();
  return true;
}

void RtspConnection::write_next() {
  if (writing_ || closed_ || queue_.empty()) {
    if (!writing_ && closing_ && queue_.empty()) finish(close_reason_);
    return;
  }
  writing_ = true;
  const Outgoing& front = queue_.front();
  // The buffer sequence is copied into the operation, so it must own its two entries.
  std::array<asio::const_buffer, 2> buffers{};
  if (front.packet) {
    buffers[0] = asio::buffer(front.header);
    buffers[1] = asio::buffer(front.packet->bytes);
  } else {
    buffers[0] = asio::buffer(front.text);
  }
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->finish("write failed: " + ec.message());
                        return;
                      }
                      const auto& done = self->queue_.front();
                      self->queued_bytes_ -=
                          done.packet ? done.packet->bytes.size() + 4 : done.text.size();
                      self->queue_.pop_front();
                      self->write_next();
                    });
}

void RtspConnection::carry_media_of(Session& session) {
  if (media_session_ != &session) channels_.fill(0);
  media_session_ = &session;
}

void RtspConnection::forget_session(const Session& session) {
  if (media_session_ != &session) return;
  media_session_ = nullptr;
  channels_.fill(0);
}

std::optional<RtspConnection::ChannelRoute> RtspConnection::channel(std::uint8_t channel) const {
  const std::uint8_t slot = channels_[channel];
  if (slot == 0) return std::nullopt;
  return ChannelRoute{static_cast<std::size_t>((slot - 1) / 2), (slot - 1) % 2 == 1};
}

void RtspConnection::route_channels(std::size_t track, std::uint8_t rtp_channel,
                                    std::uint8_t rtcp_channel) {
  channels_[rtp_channel] = static_cast<std::uint8_t>(1 + track * 2);
  channels_[rtcp_channel] = static_cast<std::uint8_t>(2 + track * 2);
}

void RtspConnection::unroute_track(std::size_t track) {
  for (auto& slot : channels_) {
    if (slot != 0 && static_cast<std::size_t>((slot - 1) / 2) == track) slot = 0;
  }
}

void RtspConnection::close(const std::string& reason, bool now) {
  if (closed_) return;
  close_reason_ = reason;
  closing_ = true;
  if (now || (!writing_ && queue_.empty())) finish(reason);
}

void RtspConnection::finish(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  queue_.clear();
  queued_bytes_ = 0;
  handler_.on_closed(*this, reason);
}

}  // namespace callcast::media
