// The viewer's RTP sessions get an RTCP bandwidth of their own, whatever their stream's rate, so
// that a thin audio track may send its NACKs in time; a video jitter buffer's gaps are asked for
// as soon as the packet after them enters it (see repair_requests.hpp).
#include "terminal/media/repair_requests.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

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

// A jitter buffer fed from a pad of the test's own, whose upstream events (the retransmission
// requests) the test collects.
class FedJitterbuffer {
 public:
  explicit FedJitterbuffer(const char* media) {
    std::string error;
    EXPECT_TRUE(ensure_gstreamer(error)) << error;
    jitterbuffer_.reset(
        GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("rtpjitterbuffer", nullptr))));
    g_object_set(jitterbuffer_.get(), "do-retransmission", TRUE, nullptr);
    requests_ = RepairRequests::watch(jitterbuffer_.get(), 200, nullptr);
    source_.reset(GST_PAD(gst_object_ref_sink(gst_pad_new("src", GST_PAD_SRC))));
    gst_pad_add_probe(source_.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, &FedJitterbuffer::on_event,
                      this, nullptr);
    GstOwned<GstPad> sink(gst_element_get_static_pad(jitterbuffer_.get(), "sink"));
    EXPECT_EQ(gst_pad_link(source_.get(), sink.get()), GST_PAD_LINK_OK);
    gst_pad_set_active(source_.get(), TRUE);
    // PAUSED: the pads take data; the jitter buffer's own timers wait for PLAYING.
    gst_element_set_state(jitterbuffer_.get(), GST_STATE_PAUSED);
    gst_pad_push_event(source_.get(), gst_event_new_stream_start("test"));
    GstCaps* caps = gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, media,
                                        "clock-rate", G_TYPE_INT, 90000, "encoding-name",
                                        G_TYPE_STRING, "H264", "payload", G_TYPE_INT, 96, nullptr);
    gst_pad_push_event(source_.get(), gst_event_new_caps(caps));
    gst_caps_unref(caps);
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(source_.get(), gst_event_new_segment(&segment));
  }
  ~FedJitterbuffer() {
    requests_.reset();
    gst_element_set_state(jitterbuffer_.get(), GST_STATE_NULL);
  }

  // An RTP packet (RFC 3550 fixed header, one byte of payload).
  void send(std::uint16_t sequence, std::uint32_t rtp_time, bool marker) {
    std::array<std::uint8_t, 13> packet{0x80,
                                        static_cast<std::uint8_t>(96 | (marker ? 0x80 : 0)),
                                        static_cast<std::uint8_t>(sequence >> 8),
                                        static_cast<std::uint8_t>(sequence & 0xff),
                                        static_cast<std::uint8_t>(rtp_time >> 24),
                                        static_cast<std::uint8_t>(rtp_time >> 16),
                                        static_cast<std::uint8_t>(rtp_time >> 8),
                                        static_cast<std::uint8_t>(rtp_time),
                                        0,
                                        0,
                                        0,
                                        1,
                                        0x41};
    GstBuffer* buffer = gst_buffer_new_memdup(packet.data(), packet.size());
    GST_BUFFER_DTS(buffer) = 0;
    gst_pad_push(source_.get(), buffer);
  }

  const std::vector<guint>& early_requests() const { return early_; }
  RepairRequests::Counts counts() const { return requests_->counts(); }

 private:
  static GstPadProbeReturn on_event(GstPad*, GstPadProbeInfo* info, gpointer data) {
    const GstStructure* fields = gst_event_get_structure(GST_PAD_PROBE_INFO_EVENT(info));
    guint sequence = 0;
    if (fields != nullptr && gst_structure_has_name(fields, "GstRTPRetransmissionRequest") &&
        gst_structure_has_field(fields, "callcast-early") &&
        gst_structure_get_uint(fields, "seqnum", &sequence)) {
      static_cast<FedJitterbuffer*>(data)->early_.push_back(sequence);
    }
    return GST_PAD_PROBE_OK;
  }

  GstOwned<GstElement> jitterbuffer_;
  GstOwned<GstPad> source_;
  std::unique_ptr<RepairRequests> requests_;
  std::vector<guint> early_;
};

TEST(RepairRequests, AVideoGapIsAskedForWhenThePacketAfterItEnters) {
  FedJitterbuffer fed("video");
  fed.send(100, 3000, false);
  fed.send(101, 3000, false);
  EXPECT_TRUE(fed.early_requests().empty());
  fed.send(104, 3000, true);
  EXPECT_EQ(fed.early_requests(), (std::vector<guint>{102, 103}));
  EXPECT_EQ(fed.counts().gap_requests, 2u);
}

TEST(RepairRequests, AudioIsLeftToTheJitterBuffer) {
  FedJitterbuffer fed("audio");
  fed.send(100, 3000, true);
  fed.send(104, 6000, true);
  EXPECT_TRUE(fed.early_requests().empty());
}

}  // namespace
}  // namespace callcast::terminal
