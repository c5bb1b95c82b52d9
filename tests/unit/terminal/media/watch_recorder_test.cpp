// The recording's container by extension; the muxer and its file are built for both.
#include "terminal/media/watch_recorder.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace callcast::terminal
