#include "terminal/media/broadcast_description.hpp"

#include <algorithm>
#include <sstream>

namespace callcast::terminal {

namespace {

// The parse-launch text of one picture source up to raw I420 at the wanted size and rate.
// `index` (1 or 2) names its elements: src1, dec1.
std::string video_source_text(const SourceSpec& source, int index, const BroadcastOptions& o) {
  std::ostringstream text;
  const std::string name = std::to_string(index);
  switch (source.kind) {
    case SourceSpec::Kind::test:
      // Two different patterns, so a switch is visible (and checkable) in the recording.
      text << "videotestsrc name=src" << name
           << " is-live=true pattern=" << (index == 1 ? "smpte" : "ball");
      break;
    case SourceSpec::Kind::file:
      // A file is not live: clocksync paces it to real time as a camera would be.
      text << "filesrc name=src" << name << " ! decodebin name=dec" << name << "  dec" << name
           << ". ! video/x-raw ! clocksync";
      break;
    case SourceSpec::Kind::v4l2:
      text << "v4l2src name=src" << name;
      break;
  }
  text << " ! videoconvert ! videoscale ! videorate ! video/x-raw,format=I420,width=" << o.width
       << ",height=" << o.height << ",framerate=" << o.fps << "/1,pixel-aspect-ratio=1/1";
  if (source.kind == SourceSpec::Kind::test && o.clock_overlay) {
    text << " ! clockoverlay time-format=\"%H:%M:%S\" halignment=right valignment=top"
         << " font-desc=\"Sans 24\"";
  }
  return text.str();
}

void add_source_elements(const SourceSpec& source, const BroadcastOptions& o,
                         std::vector<std::string>& e) {
  switch (source.kind) {
    case SourceSpec::Kind::test:
      e.push_back("videotestsrc");
      if (o.clock_overlay) e.push_back("clockoverlay");
      break;
    case SourceSpec::Kind::file:
      e.insert(e.end(), {"filesrc", "decodebin", "clocksync"});
      break;
    case SourceSpec::Kind::v4l2:
      e.push_back("v4l2src");
      break;
  }
}

}  // namespace

BroadcastDescription BroadcastDescription::of(const BroadcastOptions& o,
                                              const std::string& aac_encoder) {
  BroadcastDescription d;
  auto& e = d.elements;
  e = {"videoconvert", "videoscale", "videorate",     "queue",
       "x264enc",      "h264parse",  "rtspclientsink"};
  add_source_elements(o.source, o, e);
  if (o.source2) add_source_elements(*o.source2, o, e);
  const int key_interval = std::max(1, o.fps * o.keyframe_interval_s);
  std::ostringstream encoding;
  encoding << "x264enc name=encoder tune=zerolatency speed-preset=ultrafast bitrate="
           << o.bitrate_kbps << " key-int-max=" << key_interval
           << " ! video/x-h264,profile=constrained-baseline"
           << " ! h264parse name=vparse config-interval=-1 ! sink. ";
  std::ostringstream text;
  text << "rtspclientsink name=sink protocols=tcp latency=0 ";
  if (o.source2) {
    e.push_back("input-selector");
    text << "input-selector name=selector ! " << encoding.str() << video_source_text(o.source, 1, o)
         << " ! queue name=vqueue1 ! selector.sink_0 " << video_source_text(*o.source2, 2, o)
         << " ! queue name=vqueue2 ! selector.sink_1 ";
  } else {
    text << video_source_text(o.source, 1, o) << " ! queue name=vqueue1 ! " << encoding.str();
  }

  if (o.audio != AudioSource::none) {
    switch (o.audio) {
      case AudioSource::test:
        e.push_back("audiotestsrc");
        text << "audiotestsrc name=asrc is-live=true wave=sine freq=440 volume=0.2";
        break;
      case AudioSource::alsa:
        e.push_back("alsasrc");
        text << "alsasrc name=asrc";
        break;
      case AudioSource::file:
        text << "dec1. ! audio/x-raw ! clocksync";
        break;
      case AudioSource::none:
        break;
    }
    e.insert(e.end(), {"audioconvert", "audioresample"});
    text << " ! queue ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! ";
    if (o.audio_codec == AudioCodec::aac) {
      e.insert(e.end(), {aac_encoder, "aacparse", "rtpmp4gpay"});
      text << aac_encoder << " bitrate=128000 ! aacparse name=aparse";
    } else {
      e.push_back("opusenc");
      text << "opusenc name=aparse bitrate=64000";
    }
    text << " ! sink. ";
  }
  d.text = text.str();
  return d;
}

}  // namespace callcast::terminal
