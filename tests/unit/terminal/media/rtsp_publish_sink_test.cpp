// The broadcast's rtspclientsink: AAC goes out as MPEG4-GENERIC (rtpmp4gpay on the sink's pad),
// and a reconnect swaps in a fresh sink wired as the first. Built, never started: no server.
#include "terminal/media/rtsp_publish_sink.hpp"

#include <gtest/gtest.h>

#include "terminal/media/broadcast_description.hpp"
#include "terminal/media/gst_elements.hpp"

namespace callcast::terminal {
namespace {

class RtspPublishSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(ensure_gstreamer(error)) << error;
  }

  void build(AudioCodec codec) {
    BroadcastOptions options;
    options.width = 320;
    options.height = 240;
    options.audio_codec = codec;
    const bool have_avenc = !missing_element({"avenc_aac"});
    const auto description =
        BroadcastDescription::of(options, have_avenc ? "avenc_aac" : "voaacenc");
    GError* error = nullptr;
    GstElement* element = gst_parse_launch(description.text.c_str(), &error);
    ASSERT_EQ(error, nullptr) << error->message;
    pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(element)));
  }

  GstBin* bin() const { return GST_BIN(pipeline_.get()); }

  // The sink pad `upstream`'s output is linked to, or null.
  static GstPad* peer_of(GstBin* bin, const char* upstream) {
    GstOwned<GstElement> element(gst_bin_get_by_name(bin, upstream));
    GstOwned<GstPad> out(gst_element_get_static_pad(element.get(), "src"));
    return gst_pad_get_peer(out.get());
  }

  // The factory name of the payloader set on the pad `upstream` feeds ("" when none).
  static std::string payloader_of(GstBin* bin, const char* upstream) {
    GstOwned<GstPad> pad(peer_of(bin, upstream));
    if (!pad) return "no pad";
    GstElement* payloader = nullptr;
    g_object_get(pad.get(), "payloader", &payloader, nullptr);
    if (payloader == nullptr) return "";
    GstOwned<GstElement> owned(payloader);
    return GST_OBJECT_NAME(gst_element_get_factory(payloader));
  }

  static GstElement* parent_of_peer(GstBin* bin, const char* upstream) {
    GstOwned<GstPad> pad(peer_of(bin, upstream));
    if (!pad) return nullptr;
    GstOwned<GstElement> parent(gst_pad_get_parent_element(pad.get()));
    return parent.get();  // the bin keeps it
  }

  GstOwned<GstElement> pipeline_;
};

TEST_F(RtspPublishSinkTest, AacGoesOutAsMpeg4Generic) {
  build(AudioCodec::aac);
  RtspPublishSink sink(bin(), true);
  EXPECT_EQ(payloader_of(bin(), "aparse"), "rtpmp4gpay");
  EXPECT_EQ(payloader_of(bin(), "vparse"), "");  // video: rtspclientsink's own choice
}

TEST_F(RtspPublishSinkTest, OpusIsLeftToTheSink) {
  build(AudioCodec::opus);
  RtspPublishSink sink(bin(), false);
  EXPECT_EQ(payloader_of(bin(), "aparse"), "");
}

TEST_F(RtspPublishSinkTest, AReplacementIsAFreshSinkWiredTheSameWay) {
  build(AudioCodec::aac);
  RtspPublishSink sink(bin(), true);
  GstElement* first = sink.element();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(sink.replace("rtsp://127.0.0.1:9/groups/1?token=t"));
  GstElement* fresh = sink.element();
  EXPECT_NE(fresh, first);
  EXPECT_EQ(parent_of_peer(bin(), "vparse"), fresh);
  EXPECT_EQ(parent_of_peer(bin(), "aparse"), fresh);
  EXPECT_EQ(payloader_of(bin(), "aparse"), "rtpmp4gpay");
  gchar* location = nullptr;
  g_object_get(fresh, "location", &location, nullptr);
  EXPECT_STREQ(location, "rtsp://127.0.0.1:9/groups/1?token=t");
  g_free(location);
  guint latency = 1;
  g_object_get(fresh, "latency", &latency, nullptr);
  EXPECT_EQ(latency, 0u);
  // The bin holds one rtspclientsink: the old one is gone.
  int sinks = 0;
  GstIterator* children = gst_bin_iterate_elements(bin());
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(children, &item) == GST_ITERATOR_OK) {
    GstElementFactory* factory = gst_element_get_factory(GST_ELEMENT(g_value_get_object(&item)));
    if (factory != nullptr && std::string(GST_OBJECT_NAME(factory)) == "rtspclientsink") ++sinks;
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(children);
  EXPECT_EQ(sinks, 1);
}

}  // namespace
}  // namespace callcast::terminal
