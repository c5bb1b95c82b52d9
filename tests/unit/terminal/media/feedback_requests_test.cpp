// The requests the broadcaster takes from the server's RTCP (issue 12 items 3, 4): PLI and FIR
// are keyframe requests; reports and other feedback are ignored; bytes that are not RTCP give
// nothing.
#include "terminal/media/feedback_requests.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "rtp/full_intra_request.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "rtp/receiver_estimated_max_bitrate.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/temporary_max_bitrate.hpp"

namespace callcast::terminal {
namespace {

class Compound {
 public:
  template <class Write>
  Compound& add(Write write) {
    bytes_.resize(used_ + 256);
    const std::size_t n = write(rtp::MutableBytes(bytes_.data() + used_, 256));
    EXPECT_GT(n, 0u);
    used_ += n;
    bytes_.resize(used_);
    return *this;
  }
  rtp::Bytes bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t used_ = 0;
};

TEST(FeedbackRequests, APliAfterAReceiverReportIsAKeyframeRequest) {
  Compound c;
  c.add([](rtp::MutableBytes out) {
     return rtp::write_receiver_report(out, 1, {});
   }).add([](rtp::MutableBytes out) { return rtp::write_picture_loss_indication(out, 1, 0xabc); });
  const auto requests = read_feedback_requests(c.bytes());
  ASSERT_TRUE(requests);
  ASSERT_EQ(requests->count, 1u);
  EXPECT_EQ(requests->items[0].kind, FeedbackRequest::Kind::keyframe);
  EXPECT_EQ(requests->items[0].keyframe_cause, KeyframeCause::pli);
  EXPECT_EQ(requests->ignored, 1u);
}

TEST(FeedbackRequests, AFirIsAKeyframeRequest) {
  Compound c;
  c.add([](rtp::MutableBytes out) { return rtp::write_full_intra_request(out, 1, 0xabc, 7); });
  const auto requests = read_feedback_requests(c.bytes());
  ASSERT_TRUE(requests);
  ASSERT_EQ(requests->count, 1u);
  EXPECT_EQ(requests->items[0].keyframe_cause, KeyframeCause::fir);
  EXPECT_EQ(requests->items[0].fir_sequence, 7);
}

TEST(FeedbackRequests, ARembIsABitrateRequest) {
  Compound c;
  const std::array<std::uint32_t, 2> ssrcs{0xabc, 0xdef};
  c.add([&](rtp::MutableBytes out) {
    return rtp::write_receiver_estimated_max_bitrate(out, 1, 1'200'000, ssrcs);
  });
  const auto requests = read_feedback_requests(c.bytes());
  ASSERT_TRUE(requests);
  ASSERT_EQ(requests->count, 1u);
  EXPECT_EQ(requests->items[0].kind, FeedbackRequest::Kind::bitrate);
  EXPECT_EQ(requests->items[0].bitrate_cause, BitrateCause::remb);
  EXPECT_EQ(requests->items[0].bitrate_bps, 1'200'000u);
}

TEST(FeedbackRequests, ATmmbrIsABitrateRequestAndATmmbnIsNot) {
  Compound c;
  c.add([](rtp::MutableBytes out) {
     return rtp::write_tmmbr(out, 1, rtp::TmmbItem{0xabc, 640'000, 40});
   }).add([](rtp::MutableBytes out) {
    const std::array<rtp::TmmbItem, 1> items{rtp::TmmbItem{0xabc, 640'000, 40}};
    return rtp::write_tmmbn(out, 1, items);
  });
  const auto requests = read_feedback_requests(c.bytes());
  ASSERT_TRUE(requests);
  ASSERT_EQ(requests->count, 1u);
  EXPECT_EQ(requests->items[0].bitrate_cause, BitrateCause::tmmbr);
  EXPECT_EQ(requests->items[0].bitrate_bps, 640'000u);
  EXPECT_EQ(requests->ignored, 1u);
}

TEST(FeedbackRequests, BytesThatAreNotRtcpGiveNothing) {
  const std::array<std::uint8_t, 8> junk{0x81, 206, 0, 9, 1, 2, 3, 4};  // length lies
  EXPECT_FALSE(read_feedback_requests(junk));
  EXPECT_FALSE(read_feedback_requests({}));
}

}  // namespace
}  // namespace callcast::terminal
