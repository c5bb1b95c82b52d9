#pragma once
// control::MediaControl over a StreamingServer: every call is posted onto the server's event loop,
// so the network side may call from its own thread (the SIP stack's) without sharing locks.
#include <boost/asio/io_context.hpp>

#include "control/media_control.hpp"
#include "media/streaming_server.hpp"

namespace callcast::media {

class MediaService final : public control::MediaControl {
 public:
  MediaService(boost::asio::io_context& io, StreamingServer& server) : io_(io), server_(server) {}

  void create_group(std::string master, control::Done<control::GroupCreated> done) override;
  void admit_viewer(std::string group, std::string viewer,
                    control::Done<control::ViewerAdmitted> done) override;
  void remove_viewer(std::string group, std::string viewer, control::Done<bool> done) override;
  void close_group(std::string group, control::Done<bool> done) override;
  void list_groups(control::Done<std::vector<control::GroupSnapshot>> done) override;
  void get_group(std::string group, control::Done<control::GroupSnapshot> done) override;
  void subscribe(std::function<void(const core::GroupEvent&)> listener) override;

 private:
  boost::asio::io_context& io_;
  StreamingServer& server_;
};

}  // namespace callcast::media
