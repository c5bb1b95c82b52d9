#include "terminal/media/watch_branches.hpp"

#include <spdlog/spdlog.h>

#include "terminal/media/depacketizer.hpp"
#include "terminal/media/display_outputs.hpp"
#include "terminal/media/gst_elements.hpp"
#include "terminal/media/watch_recorder.hpp"

namespace callcast::terminal {

namespace {

bool available(const char* factory) {
  return !missing_element({factory}).has_value();
}

}  // namespace

WatchBranches::WatchBranches(GstBin* pipeline, bool display, DisplayOutputs& outputs,
                             WatchRecorder* recorder, Probes probes)
    : pipeline_(pipeline),
      display_(display),
      outputs_(outputs),
      recorder_(recorder),
      probes_(probes) {}

void WatchBranches::link(GstPad* pad) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (caps == nullptr) caps = gst_pad_query_caps(pad, nullptr);
  const GstStructure* structure = gst_caps_get_structure(caps, 0);
  const char* media = gst_structure_get_string(structure, "media");
  const char* encoding = gst_structure_get_string(structure, "encoding-name");
  const std::string media_text = media != nullptr ? media : "";
  const std::string encoding_text = encoding != nullptr ? encoding : "";
  gst_caps_unref(caps);

  GstElement* entry = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (const Branch& branch : branches_) {
      if (branch.media == media_text) entry = branch.entry;
    }
    if (entry == nullptr) entry = build(media_text, encoding_text);
  }
  if (entry == nullptr) {
    spdlog::warn("watch cannot build the chain media={} encoding={}", media_text, encoding_text);
    return;
  }
  GstOwned<GstPad> sink_pad(gst_element_get_static_pad(entry, "sink"));
  if (gst_pad_is_linked(sink_pad.get())) {
    // A second stream of the same medium: ignored.
    GstElement* sink = make_element("fakesink");
    gst_bin_add(pipeline_, sink);
    gst_element_sync_state_with_parent(sink);
    sink_pad.reset(gst_element_get_static_pad(sink, "sink"));
  }
  if (gst_pad_link(pad, sink_pad.get()) != GST_PAD_LINK_OK) {
    spdlog::warn("watch cannot link the stream media={} encoding={}", media_text, encoding_text);
  }
  spdlog::debug("watch stream linked media={} encoding={}", media_text, encoding_text);
}

bool WatchBranches::takes(const std::string& media, const std::string& encoding) {
  const Depacketizer d = Depacketizer::of(media, encoding);
  return d.depay != nullptr && available(d.depay) && available(d.parse);
}

GstElement* WatchBranches::build(const std::string& media, const std::string& encoding) {
  const Depacketizer d = Depacketizer::of(media, encoding);
  if (!takes(media, encoding)) {
    spdlog::warn("watch drops a stream it cannot depacketize media={} encoding={}", media,
                 encoding);
    GstElement* sink = make_element("fakesink");
    add_chain(pipeline_, {sink});
    branches_.push_back({media, sink, sink});
    return sink;
  }
  Branch branch{media, make_element("queue"), make_element(d.parse)};
  GstElement* tee = make_element("tee");
  GstElement* depay = make_element(d.depay);
  if (media == "video" &&
      g_object_class_find_property(G_OBJECT_GET_CLASS(depay), "request-keyframe") != nullptr) {
    // Issue 12 item 3: a gap here is one the jitter buffer gave up on (every retransmission lost,
    // or past the server's window). rtpsession turns the depayloader's request into a FIR, and a
    // fresh keyframe ends the damage instead of it lasting until the next one (up to 2 s). From
    // its first picture on: its very first buffer is a discontinuity too, and a request for each
    // join would cost the publisher a keyframe per viewer (the GOP cache starts it on one).
    GstOwned<GstPad> out(gst_element_get_static_pad(depay, "src"));
    gst_pad_add_probe(
        out.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad* pad, GstPadProbeInfo*, gpointer) {
          GstOwned<GstElement> element(gst_pad_get_parent_element(pad));
          if (element) g_object_set(element.get(), "request-keyframe", TRUE, nullptr);
          return GST_PAD_PROBE_REMOVE;
        },
        nullptr, nullptr);
  }
  std::vector<GstElement*> chain{branch.entry, depay, branch.eos};
  if (media == "video") {
    // Recordings need AVC with codec_data; the decoder takes it too.
    GstElement* filter = make_element("capsfilter");
    GstCaps* caps = gst_caps_from_string("video/x-h264,stream-format=avc,alignment=au");
    g_object_set(filter, "caps", caps, nullptr);
    gst_caps_unref(caps);
    chain.push_back(filter);
  }
  chain.push_back(tee);
  if (!add_chain(pipeline_, chain)) return nullptr;
  GstOwned<GstPad> entry_pad(gst_element_get_static_pad(branch.entry, "sink"));
  gst_pad_add_probe(entry_pad.get(), GST_PAD_PROBE_TYPE_BUFFER, probes_.received, probes_.data,
                    nullptr);

  // Decoding (always for video, so the counters and the clock are known; audio only to play).
  std::vector<GstElement*> decode{make_element("queue")};
  bool took_audio_sink = false;
  if (media == "video") {
    GstElement* decoder = make_element(d.decoder);
    decode.push_back(decoder);
    if (display_) {
      decode.push_back(make_element("videoconvert"));
      decode.push_back(outputs_.video());
    } else {
      decode.push_back(make_discarding_sink());
    }
    GstOwned<GstPad> decoded(gst_element_get_static_pad(decoder, "src"));
    gst_pad_add_probe(decoded.get(), GST_PAD_PROBE_TYPE_BUFFER, probes_.decoded, probes_.data,
                      nullptr);
  } else {
    has_audio_.store(true);
    GstElement* audio_sink = available(d.decoder) ? outputs_.audio() : nullptr;
    if (audio_sink != nullptr) {
      decode.insert(decode.end(), {make_element(d.decoder), make_element("audioconvert"),
                                   make_element("audioresample"), audio_sink});
      took_audio_sink = true;
    } else {
      decode.push_back(make_discarding_sink());
    }
  }
  const bool linked = add_chain(pipeline_, decode) && gst_element_link(tee, decode.front());
  // The bin holds the prepared sinks now.
  if (media == "video") outputs_.video_taken();
  if (took_audio_sink) outputs_.audio_taken();
  if (!linked) return nullptr;
  if (recorder_ != nullptr) recorder_->add_stream(media, tee);
  branches_.push_back(branch);
  return branch.entry;
}

// EOS enters each chain after rtspsrc, not through it: sent to the pipeline it would go to
// rtspsrc's udpsrc, which takes it only once a packet wakes its streaming thread (never, when
// the broadcast has ended), holding the pipeline's state lock all along, so that the final
// set_state(NULL) deadlocked. A pool thread sends it, never the loop. It enters after the
// depayloader, not at the entry queue: stopped in the middle of a picture's packets, the
// depayloader pushed the part it had at EOS, and a recording often ended on a damaged frame
// (half its slices missing; the loss bench counted it against repair).
void WatchBranches::send_eos() {
  std::vector<GstElement*> ends;
  {
    std::lock_guard lock(mutex_);
    for (const Branch& branch : branches_)
      ends.push_back(branch.eos);
  }
  for (GstElement* end : ends) {
    gst_element_call_async(
        end,
        [](GstElement* element, gpointer) {
          GstOwned<GstPad> sink(gst_element_get_static_pad(element, "sink"));
          gst_pad_send_event(sink.get(), gst_event_new_eos());
        },
        nullptr, nullptr);
  }
}

}  // namespace callcast::terminal
