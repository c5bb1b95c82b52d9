#include "support/relay_publisher.hpp"

#include <csignal>
#include <fstream>
#include <sstream>

#include "support/media_tools.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {

RelayPublisher::RelayPublisher(std::filesystem::path dir) : dir_(std::move(dir)) {}

RelayPublisher::~RelayPublisher() {
  stop();
}

::testing::AssertionResult RelayPublisher::start(const std::string& publish_url) {
  if (!source_.ok()) return ::testing::AssertionFailure() << "UDP ports: " << source_.error();
  const auto sdp_file = dir_ / "relay-source.sdp";
  ffmpeg_ = std::make_unique<ChildProcess>(ffmpeg_rtp_source(source_.rtp_port(), sdp_file, dir_));
  if (!ffmpeg_->started()) {
    return ::testing::AssertionFailure() << "cannot start ffmpeg: " << ffmpeg_->error();
  }
  // ffmpeg writes its SDP once the encoder is open.
  std::string sdp;
  const bool written = wait_until(
      [&] {
        std::ifstream in(sdp_file);
        std::stringstream text;
        text << in.rdbuf();
        sdp = text.str();
        return sdp.find("a=rtpmap:") != std::string::npos;
      },
      std::chrono::seconds(10));
  if (!written) {
    return ::testing::AssertionFailure() << "ffmpeg wrote no SDP to " << sdp_file << ":\n"
                                         << ffmpeg_->stderr_tail();
  }
  // ffmpeg's SDP names no control URL: the track is "streamid=0" under the publish URL.
  sdp_ = sdp + "a=control:streamid=0\r\n";
  return publish(publish_url);
}

::testing::AssertionResult RelayPublisher::publish(const std::string& publish_url) {
  if (!rtsp_.connect_to(publish_url)) {
    return ::testing::AssertionFailure() << "connect: " << rtsp_.error();
  }
  auto describe = [this](const char* what, const std::optional<rtsp::RtspResponse>& r) {
    auto failure = ::testing::AssertionFailure() << what << " -> ";
    if (!r) return failure << "no response (" << rtsp_.error() << ")";
    failure << r->status << " " << r->reason;
    if (auto warning = r->header("Warning")) failure << " Warning: " << *warning;
    return failure;
  };
  const auto announced = rtsp_.announce(publish_url, sdp_);
  if (!announced || announced->status != 200) return describe("ANNOUNCE", announced);
  const auto set_up = rtsp_.setup_tcp(publish_url + "/streamid=0", 0, /*record=*/true);
  if (!set_up || set_up->status != 200) return describe("SETUP (record)", set_up);
  const auto recording = rtsp_.record(publish_url);
  if (!recording || recording->status != 200) return describe("RECORD", recording);

  stopping_ = false;
  {
    std::lock_guard lock(mutex_);
    failure_.clear();
  }
  thread_ = std::thread([this] { relay(); });
  return ::testing::AssertionSuccess();
}

void RelayPublisher::stop_relaying() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void RelayPublisher::stop() {
  stop_relaying();
  rtsp_.disconnect();
  if (ffmpeg_) ffmpeg_->terminate(SIGTERM, std::chrono::seconds(3));
}

void RelayPublisher::reset_connection() {
  stop_relaying();
  rtsp_.reset_connection();
}

::testing::AssertionResult RelayPublisher::reconnect(const std::string& publish_url) {
  stop_relaying();
  rtsp_.disconnect();
  while (source_.receive_rtp(std::chrono::milliseconds(0))) {
  }
  while (source_.receive_rtcp(std::chrono::milliseconds(0))) {
  }
  return publish(publish_url);
}

void RelayPublisher::freeze(std::chrono::milliseconds duration) {
  burst_packets_ = 0;
  freeze_ms_ = duration.count();
}

void RelayPublisher::inject(std::uint8_t channel, std::vector<std::uint8_t> payload) {
  std::lock_guard lock(mutex_);
  injections_.emplace_back(channel, std::move(payload));
}

std::size_t RelayPublisher::pending_injections() {
  std::lock_guard lock(mutex_);
  return injections_.size();
}

std::string RelayPublisher::failure() {
  std::lock_guard lock(mutex_);
  return failure_;
}

void RelayPublisher::relay() {
  while (!stopping_) {
    if (const std::int64_t ms = freeze_ms_.exchange(0); ms > 0) {
      // Frozen: nothing goes out, what the encoder makes meanwhile waits (in order).
      std::vector<std::vector<std::uint8_t>> held;
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
      while (!stopping_ && std::chrono::steady_clock::now() < until) {
        if (auto packet = source_.receive_rtp(std::chrono::milliseconds(10))) {
          held.push_back(std::move(*packet));
        }
        while (source_.receive_rtcp(std::chrono::milliseconds(0))) {
        }
      }
      if (stopping_) return;  // reset or stopped while frozen: the backlog never leaves
      for (const auto& packet : held) {
        if (!rtsp_.send_interleaved(0, packet)) {
          std::lock_guard lock(mutex_);
          failure_ = "sending the backlog after a freeze: " + rtsp_.error();
          return;
        }
        ++relayed_;
      }
      burst_packets_ = held.size();
    }
    std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>> injections;
    {
      std::lock_guard lock(mutex_);
      injections.swap(injections_);
    }
    for (const auto& [channel, payload] : injections) {
      if (!rtsp_.send_interleaved(channel, payload)) {
        std::lock_guard lock(mutex_);
        failure_ = "injecting on channel " + std::to_string(channel) + ": " + rtsp_.error();
        return;
      }
    }
    // RTP on channel 0, ffmpeg's RTCP sender reports on channel 1.
    if (auto packet = source_.receive_rtp(std::chrono::milliseconds(20))) {
      if (!rtsp_.send_interleaved(0, *packet)) {
        std::lock_guard lock(mutex_);
        failure_ = "relaying RTP: " + rtsp_.error();
        return;
      }
      ++relayed_;
    }
    while (auto report = source_.receive_rtcp(std::chrono::milliseconds(0))) {
      if (!rtsp_.send_interleaved(1, *report)) break;
    }
  }
}

}  // namespace callcast::test
