// `callcast broadcast`'s answer to the server's RTCP feedback (issue 12 items 3, 4), with real
// GStreamer: BroadcastPipeline publishes with rtspclientsink (x264enc) to a RECORD peer written
// here, which answers the few RTSP requests, reads the H.264 it gets on interleaved channel 0 and
// writes RTCP on channel 1 as the streaming server will: PLI and FIR give an IDR, REMB and TMMBR
// a new x264enc bitrate. The GLib main loop runs in the test thread, always bounded.
#include <arpa/inet.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "rtp/full_intra_request.hpp"
#include "rtp/h264.hpp"
#include "rtp/interleaved_frame.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "rtp/receiver_estimated_max_bitrate.hpp"
#include "rtp/rtp_packet_view.hpp"
#include "rtp/temporary_max_bitrate.hpp"
#include "rtsp/rtsp_message.hpp"
#include "terminal/media/broadcast_pipeline.hpp"

namespace callcast::test::broadcast_feedback_test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool run_loop_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    while (g_main_context_iteration(nullptr, FALSE)) {
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// An RTSP server that takes one RECORD (any request gets 200 OK), counts the IDR pictures it
// receives on channel 0 (by RTP timestamp: x264 cuts a picture into several slices) and sends
// RTCP on channel 1 when told.
class RecordPeer {
 public:
  RecordPeer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RecordPeer() {
    ::shutdown(listener_, SHUT_RDWR);
    {
      std::lock_guard lock(mutex_);
      if (connection_ >= 0) ::shutdown(connection_, SHUT_RDWR);
    }
    thread_.join();
    ::close(listener_);
    if (connection_ >= 0) ::close(connection_);
  }

  std::uint16_t port() const { return port_; }
  bool recording() const { return recording_.load(); }
  std::size_t idr_pictures() const {
    std::lock_guard lock(mutex_);
    return idr_timestamps_.size();
  }
  // `write` fills a buffer with RTCP; it goes out as one interleaved frame on channel 1.
  void send_rtcp(const std::function<std::size_t(rtp::MutableBytes)>& write) {
    std::vector<std::uint8_t> frame(4 + 512);
    const std::size_t size = write(rtp::MutableBytes(frame.data() + 4, 512));
    ASSERT_GT(size, 0u);
    rtp::write_interleaved_header(frame.data(), 1, size);
    frame.resize(4 + size);
    send(std::string(frame.begin(), frame.end()));
  }

 private:
  void send(const std::string& bytes) {
    std::lock_guard lock(mutex_);
    ASSERT_EQ(::send(connection_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  void serve() {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    {
      std::lock_guard lock(mutex_);
      connection_ = fd;
    }
    std::string in;
    char chunk[65536];
    for (;;) {
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) return;
      in.append(chunk, static_cast<std::size_t>(n));
      while (!in.empty()) {
        const rtp::Bytes bytes(reinterpret_cast<const std::uint8_t*>(in.data()), in.size());
        const auto frame = rtp::parse_interleaved_frame(bytes);
        if (const auto* f = std::get_if<rtp::InterleavedFrame>(&frame)) {
          if (f->channel == 0) on_rtp(f->payload);
          in.erase(0, f->consumed);
          continue;
        }
        if (std::holds_alternative<rtp::NeedMoreData>(frame)) break;
        const auto request = rtsp::parse_request(in, rtsp::ParserLimits{});
        if (request.status != rtsp::ParseStatus::complete) break;
        answer(request.message);
        in.erase(0, request.consumed);
      }
    }
  }

  void answer(const rtsp::RtspRequest& request) {
    rtsp::RtspResponse response;
    response.add("CSeq", std::to_string(request.cseq().value_or(0)));
    if (request.method == "OPTIONS") {
      response.add("Public", "OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN");
    } else {
      response.add("Session", "feedbacktest");
    }
    if (request.method == "SETUP")
      response.add("Transport", std::string(*request.header("Transport")));
    if (request.method == "RECORD") recording_ = true;
    send(response.serialize());
  }

  void on_rtp(rtp::Bytes packet) {
    const auto rtp_packet = rtp::RtpPacketView::parse(packet);
    if (!rtp_packet) return;
    const auto info = rtp::inspect_h264_payload(rtp_packet->payload());
    if (!info || !info->has_idr) return;
    std::lock_guard lock(mutex_);
    idr_timestamps_.insert(rtp_packet->timestamp());
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  int connection_ = -1;
  std::set<std::uint32_t> idr_timestamps_;
  std::atomic<bool> recording_{false};
  std::thread thread_;
};

class BroadcastFeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    terminal::BroadcastOptions options;
    options.width = 320;
    options.height = 240;
    options.fps = 25;
    options.audio = terminal::AudioSource::none;  // channel 0 is the video
    options.keyframe_interval_s = 60;             // no IDR but the ones asked for
    options.bitrate_kbps = 1000;
    options.min_bitrate_kbps = 300;
    options.stamp_clock = false;
    auto created = terminal::BroadcastPipeline::create(options);
    ASSERT_TRUE(created) << created.error();
    pipeline_ = std::move(*created);
    terminal::BroadcastCallbacks callbacks;
    callbacks.on_streaming = [this] { streaming_ = true; };
    callbacks.on_error = [this](const std::string& error) { error_ = error; };
    pipeline_->start("rtsp://127.0.0.1:" + std::to_string(peer_.port()) + "/feedback?token=t",
                     std::move(callbacks));
    ASSERT_TRUE(run_loop_until([this] { return streaming_ && peer_.idr_pictures() >= 1; }, 10s))
        << error_;
  }
  void TearDown() override { pipeline_.reset(); }

  void run_for(std::chrono::milliseconds duration) {
    run_loop_until([] { return false; }, duration);
  }

  RecordPeer peer_;
  std::unique_ptr<terminal::BroadcastPipeline> pipeline_;
  bool streaming_ = false;
  std::string error_;
};

TEST_F(BroadcastFeedbackTest, ABurstOfPlisFromTheServerGivesOneIdr) {
  run_for(1s);
  const std::size_t before = peer_.idr_pictures();
  ASSERT_EQ(before, 1u) << "an IDR nobody asked for";
  for (int i = 0; i < 3; ++i) {
    peer_.send_rtcp(
        [](rtp::MutableBytes out) { return rtp::write_picture_loss_indication(out, 0x5e4e4, 0); });
  }
  EXPECT_TRUE(run_loop_until([&] { return peer_.idr_pictures() > before; }, 3s));
  run_for(1s);
  EXPECT_EQ(peer_.idr_pictures(), before + 1);
  const auto stats = pipeline_->stats();
  EXPECT_EQ(stats.keyframe_requests, 3u);
  EXPECT_EQ(stats.keyframes_forced, 1u);
}

TEST_F(BroadcastFeedbackTest, AFirFromTheServerGivesAnIdr) {
  const std::size_t before = peer_.idr_pictures();
  peer_.send_rtcp(
      [](rtp::MutableBytes out) { return rtp::write_full_intra_request(out, 0x5e4e4, 0, 1); });
  EXPECT_TRUE(run_loop_until([&] { return peer_.idr_pictures() > before; }, 3s));
  EXPECT_EQ(pipeline_->stats().keyframes_forced, 1u);
}

TEST_F(BroadcastFeedbackTest, ARembSetsTheEncoderBitrateWithinMinimumAndCeiling) {
  peer_.send_rtcp([](rtp::MutableBytes out) {
    return rtp::write_receiver_estimated_max_bitrate(out, 0x5e4e4, 600'000, {});
  });
  EXPECT_TRUE(run_loop_until([&] { return pipeline_->stats().bitrate_kbps == 600; }, 3s));
  peer_.send_rtcp([](rtp::MutableBytes out) {
    return rtp::write_receiver_estimated_max_bitrate(out, 0x5e4e4, 50'000, {});
  });
  EXPECT_TRUE(run_loop_until([&] { return pipeline_->stats().bitrate_kbps == 300; }, 3s));
  peer_.send_rtcp([](rtp::MutableBytes out) {
    return rtp::write_tmmbr(out, 0x5e4e4, rtp::TmmbItem{1, 9'000'000, 40});
  });
  EXPECT_TRUE(run_loop_until([&] { return pipeline_->stats().bitrate_kbps == 1000; }, 3s));
  const auto stats = pipeline_->stats();
  EXPECT_EQ(stats.bitrate_requests, 3u);
  EXPECT_EQ(stats.bitrate_changes, 3u);
  EXPECT_EQ(stats.keyframes_forced, 0u);
}

}  // namespace
}  // namespace callcast::test::broadcast_feedback_test
