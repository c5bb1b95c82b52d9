#pragma once
// The RTSP server of the streaming server (RFC 2326; DESIGN.md §6): the listening socket, the
// connections and the dispatch of each request to its method. Publishing (705) and playing (714)
// have their own classes; what names a session (PAUSE, TEARDOWN, keep-alives) is handled here.
// A connection carries direct handles to its session and channels: interleaved packets go
// straight to them.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "media/rtsp_authorizer.hpp"
#include "media/rtsp_connection.hpp"
#include "media/rtsp_playing.hpp"
#include "media/rtsp_publishing.hpp"

namespace callcast::media {

class RtspServer final : public RtspConnectionHandler {
 public:
  RtspServer(boost::asio::io_context& io, ServerContext& context);
  ~RtspServer() override;
  RtspServer(const RtspServer&) = delete;
  RtspServer& operator=(const RtspServer&) = delete;

  // Listens on the configured RTSP address; the port the OS gave when configured as 0.
  Result<std::uint16_t, std::string> listen();
  // Stops accepting and closes every connection at once.
  void stop();
  // Connections that hold no session and said nothing for the idle timeout are closed.
  void close_idle(Clock::time_point now);
  // A group is gone: what its master announced is forgotten.
  void forget_group(const std::string& group) { publishing_.forget_group(group); }

  // RtspConnectionHandler
  void on_request(RtspConnection& connection, rtsp::RtspRequest request) override;
  void on_interleaved(RtspConnection& connection, std::uint8_t channel,
                      rtp::Bytes payload) override;
  void on_bad_message(RtspConnection& connection, int status, const std::string& why) override;
  void on_closed(RtspConnection& connection, const std::string& reason) override;
  void on_read_done(RtspConnection& connection) override;

 private:
  void accept();
  void handle_options(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  void handle_announce(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  void handle_describe(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  void handle_setup(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  void handle_record(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  void handle_play(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  void handle_pause(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  void handle_teardown(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  void handle_keepalive(RtspConnection& c, const rtsp::RtspRequest& r, RtspReply& reply);
  // A PAUSE or TEARDOWN naming the session this very connection tore down last: a stopping
  // client's requests may cross (rtspclientsink sends its PAUSE after its TEARDOWN at times), so
  // they are answered 200 with nothing left to do.
  bool ended_on_this_connection(const RtspConnection& c, const rtsp::RtspRequest& r) const;
  void publisher_media(RtspConnection& c, std::uint8_t channel, rtp::Bytes payload);
  void viewer_media(RtspConnection& c, std::uint8_t channel, rtp::Bytes payload);

  boost::asio::io_context& io_;
  ServerContext& ctx_;
  RtspAuthorizer auth_;
  RtspPublishing publishing_;
  RtspPlaying playing_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool stopped_ = false;
  std::map<std::uint64_t, std::shared_ptr<RtspConnection>> connections_;
  std::map<std::uint64_t, std::string> torn_down_;  // connection -> session it tore down last
  std::uint64_t next_connection_id_ = 1;
};

}  // namespace callcast::media
