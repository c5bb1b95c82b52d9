// The elements for each stream the relay may describe, and none for the others.
#include "terminal/media/depacketizer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callcast::terminal {
namespace {

std::string depay(std::string_view media, std::string_view encoding) {
  const auto d = Depacketizer::of(media, encoding);
  return d.depay == nullptr ? "" : d.depay;
}

TEST(Depacketizer, H264AndEachAudioForm) {
  const auto h264 = Depacketizer::of("video", "H264");
  EXPECT_STREQ(h264.depay, "rtph264depay");
  EXPECT_STREQ(h264.parse, "h264parse");
  EXPECT_STREQ(h264.decoder, "avdec_h264");
  EXPECT_EQ(depay("audio", "MPEG4-GENERIC"), "rtpmp4gdepay");
  EXPECT_EQ(depay("audio", "MP4A-LATM"), "rtpmp4adepay");
  EXPECT_STREQ(Depacketizer::of("audio", "MP4A-LATM").parse, "aacparse");
  EXPECT_EQ(depay("audio", "OPUS"), "rtpopusdepay");
  EXPECT_STREQ(Depacketizer::of("audio", "OPUS").decoder, "opusdec");
}

TEST(Depacketizer, OtherStreamsAreNotTaken) {
  EXPECT_EQ(depay("video", "VP8"), "");
  EXPECT_EQ(depay("audio", "H264"), "");  // the medium counts too
  EXPECT_EQ(depay("video", "MPEG4-GENERIC"), "");
  EXPECT_EQ(depay("application", "OPUS"), "");
  EXPECT_EQ(depay("", ""), "");
}

// What the viewer loads before it calls: every stream's elements, H.264 first.
TEST(Depacketizer, AllListsEveryStreamItTakes) {
  const auto all = Depacketizer::all();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_STREQ(all.front().decoder, "avdec_h264");
  std::vector<std::string> depays;
  for (const auto& d : all) {
    ASSERT_NE(d.depay, nullptr);
    ASSERT_NE(d.parse, nullptr);
    ASSERT_NE(d.decoder, nullptr);
    depays.emplace_back(d.depay);
  }
  EXPECT_EQ(depays, (std::vector<std::string>{"rtph264depay", "rtpmp4gdepay", "rtpmp4adepay",
                                              "rtpopusdepay"}));
}

}  // namespace
}  // namespace callcast::terminal
