// The viewer's RTP sessions get an RTCP bandwidth of their own, whatever their stream's rate, so
// that a thin audio track may send its NACKs in time (see repair_requests.hpp).
#include "terminal/media/repair_requests.hpp"

#include <gtest/gtest.h>

#include <string>

#include "terminal/media/gst_elements.hpp"

namespace callcast::terminal {
namespace {

double rtcp_fraction(GstElement* rtpbin, guint session) {
  GObject* internal = nullptr;
  g_signal_emit_by_name(rtpbin, "get-internal-session", session, &internal);
  if (internal == nullptr) {
    ADD_FAILURE() << "no session " << session;
    return 0;
  }
  double fraction = 0;
  g_object_get(internal, "rtcp-fraction", &fraction, nullptr);
  g_object_unref(internal);
  return fraction;
}

TEST(RepairRequests, EverySessionGetsTheAbsoluteRtcpBandwidth) {
  std::string error;
  ASSERT_TRUE(ensure_gstreamer(error)) << error;
  GstOwned<GstElement> rtpbin(
      GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("rtpbin", nullptr))));
  ASSERT_TRUE(rtpbin);
  // rtspsrc requests one receive pad per stream: that makes the session.
  for (const char* pad : {"recv_rtp_sink_0", "recv_rtp_sink_1"}) {
    GstPad* requested = gst_element_request_pad_simple(rtpbin.get(), pad);
    ASSERT_NE(requested, nullptr) << pad;
    gst_object_unref(requested);
  }
  // GStreamer's default: a fraction (5 %) of the stream's rate.
  EXPECT_LT(rtcp_fraction(rtpbin.get(), 1), 1.0);

  RepairRequests::configure(rtpbin.get(), 0);
  RepairRequests::configure(rtpbin.get(), 1);
  EXPECT_DOUBLE_EQ(rtcp_fraction(rtpbin.get(), 0), RepairRequests::kRtcpBitsPerSecond);
  EXPECT_DOUBLE_EQ(rtcp_fraction(rtpbin.get(), 1), RepairRequests::kRtcpBitsPerSecond);
  // An absolute bandwidth, not a fraction of the stream's.
  EXPECT_GT(RepairRequests::kRtcpBitsPerSecond, 1.0);
}

TEST(RepairRequests, AMissingSessionIsLeftAlone) {
  std::string error;
  ASSERT_TRUE(ensure_gstreamer(error)) << error;
  GstOwned<GstElement> rtpbin(
      GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("rtpbin", nullptr))));
  RepairRequests::configure(rtpbin.get(), 7);  // no crash, a warning
  GObject* internal = nullptr;
  g_signal_emit_by_name(rtpbin.get(), "get-internal-session", 7u, &internal);
  EXPECT_EQ(internal, nullptr);
}

}  // namespace
}  // namespace callcast::terminal
