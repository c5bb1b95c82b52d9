// The recording's container by extension; the muxer and its file are built for both; a held
// stream never holds up the tee it leaves (the decoding beside it), and a stream counts as
// ready once its caps went in.
#include "terminal/media/watch_recorder.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "terminal/media/gst_elements.hpp"

namespace callcast::terminal {
namespace {

using Container = WatchRecorder::Container;

constexpr const char* kCapsMessage = "test-caps";

TEST(WatchRecorder, ContainerByExtension) {
  EXPECT_EQ(WatchRecorder::container_of("/tmp/out.mp4"), Container::mp4);
  EXPECT_EQ(WatchRecorder::container_of("out.mkv"), Container::mkv);
  EXPECT_EQ(WatchRecorder::container_of("/tmp/out.avi"), Container::none);
  EXPECT_EQ(WatchRecorder::container_of("/tmp/mp4"), Container::none);
  EXPECT_EQ(WatchRecorder::container_of("/tmp/out.MP4"), Container::none);
  EXPECT_EQ(WatchRecorder::container_of(""), Container::none);
}

TEST(WatchRecorder, BuildsTheMuxerAndDecidesOnceWithNoStream) {
  std::string error;
  ASSERT_TRUE(ensure_gstreamer(error)) << error;
  for (const char* path : {"/tmp/callcast-recorder-test.mp4", "/tmp/callcast-recorder-test.mkv"}) {
    GstOwned<GstElement> pipeline(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("p"))));
    auto recorder = WatchRecorder::create(pipeline.get(), path, kCapsMessage);
    ASSERT_TRUE(recorder.ok()) << path << ": " << recorder.error();
    GstOwned<GstElement> mux(gst_bin_get_by_name(GST_BIN(pipeline.get()), "mux"));
    GstOwned<GstElement> file(gst_bin_get_by_name(GST_BIN(pipeline.get()), "file"));
    ASSERT_TRUE(mux && file) << path;
    // Not before rtspsrc has announced every stream.
    EXPECT_FALSE((*recorder)->ready(false));
    EXPECT_TRUE((*recorder)->ready(true));  // nothing held, nothing to wait for
    EXPECT_FALSE((*recorder)->decided());
    (*recorder)->decide();
    EXPECT_TRUE((*recorder)->decided());
    EXPECT_FALSE((*recorder)->ready(true));
  }
}

// A pipeline as the viewer builds it around the recorder: per medium a tee whose other branch
// is the decoding (here a discarding sink), events pushed into the tee as rtspsrc's would be.
class HeldStreams : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(ensure_gstreamer(error)) << error;
    path_ = std::filesystem::temp_directory_path() /
            ("callcast-recorder-test-" + std::to_string(::getpid()) + ".mkv");
    pipeline_.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("p"))));
    auto recorder = WatchRecorder::create(pipeline_.get(), path_.string(), kCapsMessage);
    ASSERT_TRUE(recorder.ok()) << recorder.error();
    recorder_ = std::move(*recorder);
  }

  void TearDown() override {
    if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    std::filesystem::remove(path_);
  }

  // The tee of a new stream `media`, held by the recorder, its pipeline playing. The decoding
  // branch answers ALLOCATION queries, as the decoder does (the tee asks the next branch only
  // when one did).
  GstElement* add_stream(const std::string& media) {
    GstElement* tee = make_element("tee");
    GstElement* decoding = make_discarding_sink();
    EXPECT_TRUE(add_chain(bin(), {tee, decoding}));
    GstOwned<GstPad> decoding_in(gst_element_get_static_pad(decoding, "sink"));
    gst_pad_add_probe(
        decoding_in.get(), GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
        [](GstPad*, GstPadProbeInfo* info, gpointer) {
          return GST_QUERY_TYPE(GST_PAD_PROBE_INFO_QUERY(info)) == GST_QUERY_ALLOCATION
                     ? GST_PAD_PROBE_HANDLED
                     : GST_PAD_PROBE_OK;
        },
        nullptr, nullptr);
    recorder_->add_stream(media, tee);
    gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);
    GstOwned<GstPad> in(gst_element_get_static_pad(tee, "sink"));
    gst_pad_send_event(in.get(), gst_event_new_stream_start(media.c_str()));
    return tee;
  }

  static void send_caps(GstElement* tee, const char* caps_text) {
    GstOwned<GstPad> in(gst_element_get_static_pad(tee, "sink"));
    GstCaps* caps = gst_caps_from_string(caps_text);
    gst_pad_send_event(in.get(), gst_event_new_caps(caps));
    gst_caps_unref(caps);
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_send_event(in.get(), gst_event_new_segment(&segment));
  }

  GstBin* bin() const { return GST_BIN(pipeline_.get()); }

  std::filesystem::path path_;
  GstOwned<GstElement> pipeline_;
  std::unique_ptr<WatchRecorder> recorder_;
};

constexpr const char* kH264 = "video/x-h264,stream-format=avc,alignment=au";
constexpr const char* kAac = "audio/mpeg,mpegversion=4,stream-format=raw,rate=48000,channels=1";

TEST_F(HeldStreams, AHeldStreamDoesNotHoldUpItsTee) {
  GstElement* tee = add_stream("video");
  send_caps(tee, kH264);
  // The depayloader's ALLOCATION query after the caps: the tee asks each branch, the held one
  // too. It waited in the held queue until the recording started, and the decoding with it.
  std::promise<void> answered;
  auto done = answered.get_future();
  std::thread querier([&] {
    GstOwned<GstPad> in(gst_element_get_static_pad(tee, "sink"));
    GstCaps* caps = gst_caps_from_string(kH264);
    GstQuery* query = gst_query_new_allocation(caps, TRUE);
    gst_pad_query(in.get(), query);
    gst_query_unref(query);
    gst_caps_unref(caps);
    answered.set_value();
  });
  // Not a timing assertion: without the fix the query never returns while the stream is held.
  const bool returned = done.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  if (!returned) recorder_->decide();  // releases it, so the thread ends and the test fails
  querier.join();
  EXPECT_TRUE(returned) << "the tee waited for the recording to start";
  EXPECT_FALSE(recorder_->decided());
}

TEST_F(HeldStreams, EachStreamCountsAsReadyOnceItsCapsWentIn) {
  GstElement* video = add_stream("video");
  GstElement* audio = add_stream("audio");
  send_caps(video, kH264);
  auto holding = recorder_->holding(true);
  EXPECT_EQ(holding.streams, 2u);
  EXPECT_EQ(holding.with_caps, 1u);
  EXPECT_TRUE(holding.all_exposed);
  EXPECT_FALSE(recorder_->ready(true));
  send_caps(audio, kAac);
  EXPECT_EQ(recorder_->holding(true).with_caps, 2u);
  EXPECT_FALSE(recorder_->ready(false)) << "not before rtspsrc exposed every stream";
  EXPECT_TRUE(recorder_->ready(true));
  recorder_->decide();
  GstOwned<GstElement> mux(gst_bin_get_by_name(bin(), "mux"));
  EXPECT_EQ(mux->numsinkpads, 2) << "both streams recorded";
}

TEST_F(HeldStreams, AStreamWithoutCapsIsLeftOutOfTheFile) {
  GstElement* video = add_stream("video");
  add_stream("audio");
  send_caps(video, kH264);
  recorder_->decide();
  GstOwned<GstElement> mux(gst_bin_get_by_name(bin(), "mux"));
  EXPECT_EQ(mux->numsinkpads, 1);
}

}  // namespace
}  // namespace callcast::terminal
