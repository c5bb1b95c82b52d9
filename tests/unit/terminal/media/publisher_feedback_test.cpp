// The broadcaster's answer to the server's feedback (issue 12 items 3, 4) on a simulated clock:
// keyframe requests rate-limited to one IDR per interval (bursts merged, a later request
// deferred to the end of the interval), bitrate requests clamped to [min, max].
#include "terminal/media/publisher_feedback.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "support/simulated_time.hpp"

namespace callcast::terminal {
namespace {

using std::chrono::milliseconds;

class PublisherFeedbackTest : public ::testing::Test {
 protected:
  PublisherFeedbackTest()
      : feedback_(limits(), time_, time_,
                  {[this](KeyframeCause cause) {
                     idrs_.push_back(cause);
                     idr_times_.push_back(elapsed());
                   },
                   [this](int kbps) { bitrates_.push_back(kbps); }}) {}

  static PublisherFeedbackLimits limits() {
    PublisherFeedbackLimits l;
    l.max_kbps = 2000;
    l.min_kbps = 500;
    l.keyframe_interval = milliseconds(500);
    l.keyframe_merge_window = milliseconds(200);
    return l;
  }
  long long elapsed() const {
    return std::chrono::duration_cast<milliseconds>(time_.now() - start_).count();
  }
  void pli() { feedback_.on_keyframe_request(KeyframeCause::pli); }
  void remb_kbps(std::uint64_t kbps) {
    feedback_.on_bitrate_request(kbps * 1000, BitrateCause::remb);
  }

  test::SimulatedTime time_;
  core::SteadyClock::time_point start_ = time_.now();
  std::vector<KeyframeCause> idrs_;
  std::vector<long long> idr_times_;
  std::vector<int> bitrates_;
  PublisherFeedback feedback_;
};

TEST_F(PublisherFeedbackTest, TheFirstRequestForcesAnIdrAtOnce) {
  feedback_.on_keyframe_request(KeyframeCause::fir);
  EXPECT_EQ(idrs_, std::vector<KeyframeCause>{KeyframeCause::fir});
  EXPECT_EQ(feedback_.counters().keyframe_requests, 1u);
  EXPECT_EQ(feedback_.counters().keyframes_forced, 1u);
}

TEST_F(PublisherFeedbackTest, ABurstOfRequestsIsOneIdr) {
  for (int i = 0; i < 5; ++i) {
    pli();
    time_.advance(milliseconds(20));
  }
  time_.advance(milliseconds(2000));
  EXPECT_EQ(idr_times_, std::vector<long long>{0});
  EXPECT_EQ(feedback_.counters().keyframe_requests, 5u);
  EXPECT_EQ(feedback_.counters().keyframes_forced, 1u);
}

TEST_F(PublisherFeedbackTest, ALaterRequestInTheIntervalGetsItsIdrWhenTheIntervalEnds) {
  pli();
  time_.advance(milliseconds(300));
  pli();
  EXPECT_EQ(idr_times_, std::vector<long long>{0});
  time_.advance(milliseconds(199));
  EXPECT_EQ(idr_times_.size(), 1u);
  time_.advance(milliseconds(1));
  EXPECT_EQ(idr_times_, (std::vector<long long>{0, 500}));
}

TEST_F(PublisherFeedbackTest, RequestsWhileOneIsDueAddNoIdr) {
  pli();
  time_.advance(milliseconds(300));
  pli();
  time_.advance(milliseconds(100));
  feedback_.on_keyframe_request(KeyframeCause::fir);
  time_.advance(milliseconds(1000));
  EXPECT_EQ(idr_times_, (std::vector<long long>{0, 500}));
  EXPECT_EQ(idrs_.back(), KeyframeCause::pli);  // the one that made it due
  EXPECT_EQ(feedback_.counters().keyframe_requests, 3u);
  EXPECT_EQ(feedback_.counters().keyframes_forced, 2u);
}

TEST_F(PublisherFeedbackTest, RequestsAnIntervalApartEachGetAnIdrAtOnce) {
  pli();
  time_.advance(milliseconds(500));
  pli();
  time_.advance(milliseconds(700));
  pli();
  EXPECT_EQ(idr_times_, (std::vector<long long>{0, 500, 1200}));
}

TEST_F(PublisherFeedbackTest, ARetransmittedFirGivesNoSecondIdr) {
  feedback_.on_full_intra_request(7);
  time_.advance(milliseconds(600));
  feedback_.on_full_intra_request(7);  // the same request again
  time_.advance(milliseconds(600));
  feedback_.on_full_intra_request(8);  // a new one
  EXPECT_EQ(idr_times_, (std::vector<long long>{0, 1200}));
  EXPECT_EQ(feedback_.counters().keyframe_requests, 3u);
  EXPECT_EQ(feedback_.counters().keyframes_forced, 2u);
}

TEST_F(PublisherFeedbackTest, TheBitrateStartsAtTheCeiling) {
  EXPECT_EQ(feedback_.counters().bitrate_kbps, 2000);
  EXPECT_EQ(feedback_.counters().bitrate_changes, 0u);
}

TEST_F(PublisherFeedbackTest, ABitrateRequestChangesTheEncoderBitrate) {
  remb_kbps(1200);
  feedback_.on_bitrate_request(1'500'999, BitrateCause::tmmbr);
  EXPECT_EQ(bitrates_, (std::vector<int>{1200, 1500}));
  EXPECT_EQ(feedback_.counters().bitrate_kbps, 1500);
  EXPECT_EQ(feedback_.counters().bitrate_changes, 2u);
}

TEST_F(PublisherFeedbackTest, TheBitrateStaysWithinMinimumAndCeiling) {
  remb_kbps(100);
  remb_kbps(0);
  remb_kbps(900);
  remb_kbps(50'000);
  feedback_.on_bitrate_request(UINT64_MAX, BitrateCause::remb);
  EXPECT_EQ(bitrates_, (std::vector<int>{500, 900, 2000}));
  EXPECT_EQ(feedback_.counters().bitrate_requests, 5u);
  EXPECT_EQ(feedback_.counters().bitrate_changes, 3u);
}

TEST_F(PublisherFeedbackTest, ARequestForTheCurrentBitrateChangesNothing) {
  remb_kbps(2000);
  remb_kbps(800);
  remb_kbps(800);
  EXPECT_EQ(bitrates_, std::vector<int>{800});
  EXPECT_EQ(feedback_.counters().bitrate_requests, 3u);
  EXPECT_EQ(feedback_.counters().bitrate_changes, 1u);
}

}  // namespace
}  // namespace callcast::terminal
