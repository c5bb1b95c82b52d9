#pragma once
// A MediaControl whose answers the test gives by hand (media_reports_... in the fixture): each
// request is kept with its completion until then, and every removal or close is recorded.
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control/media_control.hpp"

namespace callcast::sip::test {

class FakeMediaControl final : public control::MediaControl {
 public:
  struct CreateRequest {
    std::string master;
    control::Done<control::GroupCreated> done;
  };
  struct AdmitRequest {
    std::string group, viewer;
    control::Done<control::ViewerAdmitted> done;
  };

  struct PhoneViewerCall {
    control::PhoneViewerRequest request;
    control::Done<control::PhoneViewerStarted> done;
  };
  std::vector<PhoneViewerCall> phone_viewers;
  struct PhonePublisherCall {
    control::PhonePublisherRequest request;
    control::Done<control::PhonePublisherStarted> done;
  };
  std::vector<PhonePublisherCall> phone_publishers;
  struct WebRtcViewerCall {
    control::WebRtcViewerRequest request;
    control::Done<control::WebRtcViewerStarted> done;
  };
  std::vector<WebRtcViewerCall> webrtc_viewers;
  struct WebRtcPublisherCall {
    control::WebRtcPublisherRequest request;
    control::Done<control::WebRtcViewerStarted> done;
  };
  std::vector<WebRtcPublisherCall> webrtc_publishers;

  void create_group(std::string master, control::Done<control::GroupCreated> done) override {
    creates.push_back({std::move(master), std::move(done)});
  }
  void admit_viewer(std::string group, std::string viewer,
                    control::Done<control::ViewerAdmitted> done) override {
    admits.push_back({std::move(group), std::move(viewer), std::move(done)});
  }
  void start_phone_viewer(control::PhoneViewerRequest request,
                          control::Done<control::PhoneViewerStarted> done) override {
    phone_viewers.push_back({std::move(request), std::move(done)});
  }
  void start_phone_publisher(control::PhonePublisherRequest request,
                             control::Done<control::PhonePublisherStarted> done) override {
    phone_publishers.push_back({std::move(request), std::move(done)});
  }
  void start_webrtc_viewer(control::WebRtcViewerRequest request,
                           control::Done<control::WebRtcViewerStarted> done) override {
    webrtc_viewers.push_back({std::move(request), std::move(done)});
  }
  void start_webrtc_publisher(control::WebRtcPublisherRequest request,
                              control::Done<control::WebRtcViewerStarted> done) override {
    webrtc_publishers.push_back({std::move(request), std::move(done)});
  }
  void remove_viewer(std::string group, std::string viewer, control::Done<bool> done) override {
    removed_viewers.emplace_back(group, viewer);
    done(true);
  }
  void close_group(std::string group, control::Done<bool> done) override {
    closed_groups.push_back(group);
    done(true);
  }
  void list_groups(control::Done<std::vector<control::GroupSnapshot>> done) override {
    done(groups);
  }
  void get_group(std::string group, control::Done<control::GroupSnapshot> done) override {
    ++group_lookups;
    if (get_group_hook) return get_group_hook(std::move(done));
    if (get_group_error) return done(callcast::fail(*get_group_error));
    for (const auto& snapshot : groups) {
      if (snapshot.group == group) return done(snapshot);
    }
    done(callcast::fail(control::ControlError{control::ControlErrorCode::not_found, "no group"}));
  }
  void open_edge(control::EdgeRequest request, control::Done<control::EdgeOpened> done) override {
    done(control::EdgeOpened{request.group, true});
  }
  void subscribe(std::function<void(const core::GroupEvent&)> listener) override {
    listeners.push_back(std::move(listener));
  }

  std::deque<CreateRequest> creates;  // not answered yet
  std::deque<AdmitRequest> admits;
  std::vector<std::pair<std::string, std::string>> removed_viewers;  // (group, viewer)
  std::vector<std::string> closed_groups;
  std::vector<control::GroupSnapshot> groups;            // what list_groups and get_group answer
  std::optional<control::ControlError> get_group_error;  // get_group fails with it when set
  int group_lookups = 0;
  // Takes get_group's completion instead (a test answering later).
  std::function<void(control::Done<control::GroupSnapshot>)> get_group_hook;
  std::vector<std::function<void(const core::GroupEvent&)>> listeners;
};

}  // namespace callcast::sip::test
