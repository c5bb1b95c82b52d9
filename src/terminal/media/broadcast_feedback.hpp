#pragma once
// The broadcast pipeline's answer to the streaming server's RTCP feedback (issue 12 items 3, 4):
// the relay that reads it off the RECORD connection (RtcpFeedbackRelay), the policy
// (PublisherFeedback) and the encoder it acts on: x264enc, the pipeline's only video encoder,
// whose "bitrate" (kbit/s) may change in PLAYING (x264_encoder_reconfig on its next frame).
//
// The relay's thread reads the requests and posts them on the pipeline's bus; handle() takes
// them on the main loop thread, where everything else here runs.
#include <gst/gst.h>

#include <memory>
#include <optional>
#include <string>

#include "core/time_source.hpp"
#include "terminal/media/publisher_feedback.hpp"
#include "terminal/media/rtcp_feedback_relay.hpp"

namespace callcast::terminal {

class BroadcastFeedback {
 public:
  // `pipeline` and `encoder` outlive this. Without a relay (it could not listen: logged) the
  // broadcast goes on without feedback.
  BroadcastFeedback(GstElement* pipeline, GstElement* encoder,
                    const PublisherFeedbackLimits& limits);
  ~BroadcastFeedback();

  // On the main loop thread, before the pipeline first plays.
  void start(const core::TimeSource& time, core::TimerFactory& timers);
  // The proxy rtspclientsink is to use for `url` ("127.0.0.1:PORT"), nullopt: connect directly.
  std::optional<std::string> proxy_for(const std::string& url);
  // Why the relay could not reach the server on the latest connection, in the words
  // rtspclientsink uses ("Failed to connect ..."); nullopt when it could.
  std::optional<std::string> server_failure() const;
  // True when `message` was a feedback request (and has been acted on).
  bool handle(GstMessage* message);
  PublisherFeedbackCounters counters() const;

 private:
  void post(const FeedbackRequest& request);

  GstElement* pipeline_;
  GstElement* encoder_;
  PublisherFeedbackLimits limits_;
  std::unique_ptr<PublisherFeedback> policy_;  // from start()
  std::unique_ptr<RtcpFeedbackRelay> relay_;   // last: its thread posts through pipeline_
};

}  // namespace callcast::terminal
