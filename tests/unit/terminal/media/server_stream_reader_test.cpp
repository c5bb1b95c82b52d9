// What the broadcaster reads off its RECORD connection (issue 12): RTCP frames picked out of the
// server's stream of RTSP messages and interleaved frames, however the bytes are cut.
#include "terminal/media/server_stream_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rtp/interleaved_frame.hpp"

namespace callcast::terminal {
namespace {

using Buffer = std::vector<std::uint8_t>;
using namespace std::string_literals;

Buffer text(const std::string& s) {
  return Buffer(s.begin(), s.end());
}

Buffer frame(std::uint8_t channel, const Buffer& payload) {
  Buffer out(4);
  rtp::write_interleaved_header(out.data(), channel, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Buffer operator+(Buffer a, const Buffer& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::string kSetupAnswer =
    "RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: 1234;timeout=60\r\n"
    "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n";

class ServerStreamReaderTest : public ::testing::Test {
 protected:
  void feed_in_pieces(const Buffer& stream, std::size_t piece) {
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      reader_.feed(rtp::Bytes(stream.data() + at, std::min(piece, stream.size() - at)));
    }
  }

  std::vector<std::pair<int, Buffer>> read_;
  ServerStreamReader reader_{[this](std::uint8_t channel, rtp::Bytes rtcp) {
    read_.emplace_back(channel, Buffer(rtcp.begin(), rtcp.end()));
  }};
};

TEST_F(ServerStreamReaderTest, RtcpFramesBetweenRtspAnswersAreReadWhateverTheCuts) {
  const Buffer rtcp1{0x81, 206, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
  const Buffer rtcp2{0x80, 201, 0, 1, 9, 9, 9, 9};
  const Buffer stream = text(kSetupAnswer) + frame(1, rtcp1) +
                        text("RTSP/1.0 200 OK\r\nCSeq: 4\r\n\r\n") + frame(3, rtcp2);
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{7}, stream.size()}) {
    read_.clear();
    ServerStreamReader fresh{[this](std::uint8_t channel, rtp::Bytes rtcp) {
      read_.emplace_back(channel, Buffer(rtcp.begin(), rtcp.end()));
    }};
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      fresh.feed(rtp::Bytes(stream.data() + at, std::min(piece, stream.size() - at)));
    }
    ASSERT_EQ(read_.size(), 2u) << "piece " << piece;
    EXPECT_EQ(read_[0], (std::pair<int, Buffer>{1, rtcp1}));
    EXPECT_EQ(read_[1], (std::pair<int, Buffer>{3, rtcp2}));
    EXPECT_FALSE(fresh.lost_framing());
  }
}

TEST_F(ServerStreamReaderTest, RtpChannelsAreSkipped) {
  feed_in_pieces(frame(0, Buffer(20, 0x80)) + frame(2, Buffer(5, 1)) + frame(1, Buffer{1, 2}), 4);
  ASSERT_EQ(read_.size(), 1u);
  EXPECT_EQ(read_[0].first, 1);
  EXPECT_EQ(reader_.rtcp_frames(), 1u);
}

TEST_F(ServerStreamReaderTest, ADollarInsideAnAnswersBodyIsNotAFrame) {
  feed_in_pieces(text("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 8\r\n\r\n$\x01\x00\x02xxxx"s) +
                     frame(1, Buffer{7, 7}),
                 5);
  ASSERT_EQ(read_.size(), 1u);
  EXPECT_EQ(read_[0].second, (Buffer{7, 7}));
}

TEST_F(ServerStreamReaderTest, ARequestFromTheServerIsSkippedToo) {
  feed_in_pieces(text("GET_PARAMETER rtsp://h/g RTSP/1.0\r\nCSeq: 9\r\n\r\n") + frame(1, Buffer{5}),
                 2);
  ASSERT_EQ(read_.size(), 1u);
}

TEST_F(ServerStreamReaderTest, AnUnreadableMessageEndsTheReading) {
  feed_in_pieces(text("\x01\x02 not rtsp\r\n\r\n") + frame(1, Buffer{5}), 64);
  EXPECT_TRUE(reader_.lost_framing());
  reader_.feed(rtp::Bytes(frame(1, Buffer{5})));
  EXPECT_TRUE(read_.empty());
}

TEST_F(ServerStreamReaderTest, AFrameCutShortWaitsForTheRest) {
  const Buffer stream = frame(1, Buffer(300, 0xaa));
  reader_.feed(rtp::Bytes(stream.data(), 100));
  EXPECT_TRUE(read_.empty());
  reader_.feed(rtp::Bytes(stream.data() + 100, stream.size() - 100));
  ASSERT_EQ(read_.size(), 1u);
  EXPECT_EQ(read_[0].second.size(), 300u);
}

}  // namespace
}  // namespace callcast::terminal
