#include "transcode/group_audio_transcoders.hpp"

#include <gtest/gtest.h>

#include <map>

#include "unit/transcode/captured_stream.hpp"

namespace callcast::transcode {
namespace {

TargetAudioFormat target(TargetAudioCodec codec, std::uint8_t payload_type) {
  TargetAudioFormat format;
  format.codec = codec;
  format.payload_type = payload_type;
  return format;
}

class GroupAudioTranscodersTest : public ::testing::Test {
 protected:
  test::CapturedStream capture_ = test::load_capture("aac_latm_48k_stereo");
  GroupAudioTranscoders group_{capture_.format()};
  std::map<GroupAudioTranscoders::TargetId, std::size_t> packets_;
  GroupAudioTranscoders::Sink sink_ = [this](GroupAudioTranscoders::TargetId id, rtp::Bytes) {
    ++packets_[id];
  };

  void push_capture(std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to && i < capture_.packets.size(); ++i) {
      group_.push(capture_.packet(i), sink_);
    }
  }
};

TEST_F(GroupAudioTranscodersTest, PhonesOfOneTargetShareOneTranscoder) {
  const auto first = group_.acquire(target(TargetAudioCodec::pcmu, 0));
  const auto second = group_.acquire(target(TargetAudioCodec::pcmu, 0));
  const auto wideband = group_.acquire(target(TargetAudioCodec::g722, 9));
  ASSERT_TRUE(first.ok() && second.ok() && wideband.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_NE(*first, *wideband);
  EXPECT_EQ(group_.transcoder_count(), 2u);
  EXPECT_EQ(group_.users(*first), 2u);

  push_capture(0, capture_.packets.size());
  EXPECT_GE(packets_[*first], 48u);  // one stream for both PCMU phones, not two
  EXPECT_EQ(packets_[*first], group_.find(*first)->counters().output_packets);
  EXPECT_GE(packets_[*wideband], 48u);
  EXPECT_EQ(packets_.size(), 2u);
}

TEST_F(GroupAudioTranscodersTest, LastPhoneToLeaveEndsItsTranscoder) {
  const auto pcmu = *group_.acquire(target(TargetAudioCodec::pcmu, 0));
  group_.acquire(target(TargetAudioCodec::pcmu, 0)).value();
  const auto opus = *group_.acquire(target(TargetAudioCodec::opus, 111));
  group_.release(pcmu);
  EXPECT_NE(group_.find(pcmu), nullptr);
  group_.release(pcmu);
  EXPECT_EQ(group_.find(pcmu), nullptr);
  EXPECT_EQ(group_.transcoder_count(), 1u);
  push_capture(0, 10);
  EXPECT_EQ(packets_.count(pcmu), 0u);
  EXPECT_GT(packets_[opus], 0u);
  group_.release(opus);
  group_.release(opus);  // once too often: nothing happens
  EXPECT_EQ(group_.transcoder_count(), 0u);
}

TEST_F(GroupAudioTranscodersTest, TargetThatCannotBeMadeIsRefusedAndNotKept) {
  TargetAudioFormat surround = target(TargetAudioCodec::opus, 111);
  surround.channels = 6;
  EXPECT_FALSE(group_.acquire(surround).ok());
  EXPECT_EQ(group_.transcoder_count(), 0u);
}

TEST_F(GroupAudioTranscodersTest, SourceChangeReachesEveryTarget) {
  const auto pcma = *group_.acquire(target(TargetAudioCodec::pcma, 8));
  const auto g722 = *group_.acquire(target(TargetAudioCodec::g722, 9));
  push_capture(0, 20);
  const auto other = test::load_capture("aac_hbr_48k_stereo");
  ASSERT_TRUE(group_.change_source(other.format(), sink_).ok());
  for (std::size_t i = 0; i < other.packets.size(); ++i)
    group_.push(other.packet(i), sink_);
  EXPECT_EQ(group_.find(pcma)->counters().source_changes, 1u);
  EXPECT_EQ(group_.find(g722)->counters().source_changes, 1u);
  EXPECT_EQ(group_.find(pcma)->counters().malformed_packets, 0u);
  EXPECT_GT(packets_[pcma], 60u);
}

}  // namespace
}  // namespace callcast::transcode
