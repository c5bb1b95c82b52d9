#pragma once
// The frame clock (frame_clock.hpp) on GStreamer video buffers: stamped into raw I420 frames
// before the broadcaster's encoder, read from the viewer's decoded frames.
#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstdint>
#include <optional>

namespace callcast::terminal {

// Writes `unix_ms` into `buffer` (writable, laid out as `info`).
void stamp_video_frame(GstBuffer* buffer, const GstVideoInfo& info, std::int64_t unix_ms);

// The time stamped into `buffer`, a decoded frame with the current caps of `pad`; nullopt when
// it carries none.
std::optional<std::int64_t> read_video_frame_clock(GstPad* pad, GstBuffer* buffer);

}  // namespace callcast::terminal
