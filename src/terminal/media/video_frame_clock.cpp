#include "terminal/media/video_frame_clock.hpp"

#include "terminal/media/frame_clock.hpp"

namespace callcast::terminal {

void stamp_video_frame(GstBuffer* buffer, const GstVideoInfo& info, std::int64_t unix_ms) {
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &info, buffer, GST_MAP_WRITE)) return;
  stamp_frame_clock(static_cast<std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)),
                    GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0), GST_VIDEO_FRAME_WIDTH(&frame),
                    GST_VIDEO_FRAME_HEIGHT(&frame), unix_ms);
  gst_video_frame_unmap(&frame);
}

std::optional<std::int64_t> read_video_frame_clock(GstPad* pad, GstBuffer* buffer) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (caps == nullptr) return std::nullopt;
  GstVideoInfo info;
  const bool ok = gst_video_info_from_caps(&info, caps);
  gst_caps_unref(caps);
  if (!ok) return std::nullopt;
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ)) return std::nullopt;
  const auto stamp =
      read_frame_clock(static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)),
                       GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0), GST_VIDEO_FRAME_WIDTH(&frame),
                       GST_VIDEO_FRAME_HEIGHT(&frame));
  gst_video_frame_unmap(&frame);
  return stamp;
}

}  // namespace callcast::terminal
