#pragma once
// An in-memory control::MediaControl for the admin API tests. Like the real media service it
// never completes a call inside the call: results are posted to the io_context and delivered
// from there. It can also hold completions until the test releases them, force the next call to
// fail, or drop a completion without calling it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "control/media_control.hpp"

namespace callcast::http::test {

class FakeMediaControl final : public control::MediaControl {
 public:
  explicit FakeMediaControl(boost::asio::io_context& io) : io_(io) {}

  // Test knobs; set them before the request that should see them.
  void fail_next_call(control::ControlErrorCode code, std::string message) {
    const std::lock_guard lock(mutex_);
    fail_next_ = control::ControlError{code, std::move(message)};
  }
  void hold_completions(bool hold) {
    const std::lock_guard lock(mutex_);
    hold_ = hold;
  }
  void drop_next_completion() {
    const std::lock_guard lock(mutex_);
    drop_next_ = true;
  }
  // Delivers the held completions (on the io_context). Returns how many there were.
  std::size_t release_held() {
    std::vector<std::function<void()>> held;
    {
      const std::lock_guard lock(mutex_);
      held.swap(held_);
      hold_ = false;
    }
    for (auto& completion : held)
      boost::asio::post(io_, std::move(completion));
    return held.size();
  }
  std::size_t held_count() const {
    const std::lock_guard lock(mutex_);
    return held_.size();
  }
  std::vector<std::string> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  // Puts a fully populated group in place (publisher, tracks, viewer with reception stats).
  void add_live_group(const control::GroupSnapshot& snapshot) {
    const std::lock_guard lock(mutex_);
    groups_[snapshot.group] = snapshot;
  }

  void create_group(std::string master, control::Done<control::GroupCreated> done) override {
    complete("create_group " + master, std::move(done),
             [this, master]() -> Result<control::GroupCreated, control::ControlError> {
               if (!valid_number(master))
                 return failure(control::ControlErrorCode::bad_request,
                                "invalid master number: " + master);
               if (groups_.count(master) != 0) {
                 return failure(control::ControlErrorCode::conflict,
                                "group " + master + " exists already");
               }
               control::GroupSnapshot group;
               group.group = master;
               group.master = master;
               group.state = "waiting_for_master";
               group.created_unix = 1700000000;
               groups_[master] = group;
               return control::GroupCreated{
                   master, "rtsp://127.0.0.1:8554/" + master + "?t=p", "127.0.0.1", 8000, 8001, ""};
             });
  }

  void admit_viewer(std::string group, std::string viewer,
                    control::Done<control::ViewerAdmitted> done) override {
    complete("admit_viewer " + group + " " + viewer, std::move(done),
             [this, group, viewer]() -> Result<control::ViewerAdmitted, control::ControlError> {
               const auto it = groups_.find(group);
               if (it == groups_.end()) return no_group(group);
               if (!valid_number(viewer)) {
                 return failure(control::ControlErrorCode::bad_request,
                                "invalid viewer number: " + viewer);
               }
               control::ViewerStats stats;
               stats.viewer = viewer;
               stats.state = "admitted";
               it->second.viewers.push_back(stats);
               control::ViewerAdmitted admitted;
               admitted.group = group;
               admitted.viewer = viewer;
               admitted.play_url = "rtsp://127.0.0.1:8554/" + group + "?t=v";
               return admitted;
             });
  }

  void start_phone_viewer(control::PhoneViewerRequest request,
                          control::Done<control::PhoneViewerStarted> done) override {
    const std::string what = "start_phone_viewer " + request.group + " " + request.viewer;
    complete(what, std::move(done),
             [this, request]() -> Result<control::PhoneViewerStarted, control::ControlError> {
               const auto it = groups_.find(request.group);
               if (it == groups_.end()) return no_group(request.group);
               last_phone_viewer = request;
               return control::PhoneViewerStarted{"phone-" + request.viewer};
             });
  }
  std::optional<control::PhoneViewerRequest> last_phone_viewer;

  void start_webrtc_viewer(control::WebRtcViewerRequest request,
                           control::Done<control::WebRtcViewerStarted> done) override {
    const std::string what = "start_webrtc_viewer " + request.group + " " + request.viewer;
    complete(what, std::move(done),
             [this, request]() -> Result<control::WebRtcViewerStarted, control::ControlError> {
               const auto it = groups_.find(request.group);
               if (it == groups_.end()) return no_group(request.group);
               last_webrtc_viewer = request;
               return control::WebRtcViewerStarted{"webrtc-" + request.viewer, "v=0\r\n"};
             });
  }
  std::optional<control::WebRtcViewerRequest> last_webrtc_viewer;

  void start_webrtc_publisher(control::WebRtcPublisherRequest request,
                              control::Done<control::WebRtcViewerStarted> done) override {
    const std::string what = "start_webrtc_publisher " + request.group + " " + request.master;
    complete(what, std::move(done),
             [this, request]() -> Result<control::WebRtcViewerStarted, control::ControlError> {
               const auto it = groups_.find(request.group);
               if (it == groups_.end()) return no_group(request.group);
               last_webrtc_publisher = request;
               return control::WebRtcViewerStarted{"whip-" + request.master, "v=0\r\n"};
             });
  }
  std::optional<control::WebRtcPublisherRequest> last_webrtc_publisher;

  void start_phone_publisher(control::PhonePublisherRequest request,
                             control::Done<control::PhonePublisherStarted> done) override {
    const std::string what = "start_phone_publisher " + request.group + " " + request.master;
    complete(what, std::move(done),
             [this, request]() -> Result<control::PhonePublisherStarted, control::ControlError> {
               const auto it = groups_.find(request.group);
               if (it == groups_.end()) return no_group(request.group);
               last_phone_publisher = request;
               return control::PhonePublisherStarted{"phone-" + request.master};
             });
  }
  std::optional<control::PhonePublisherRequest> last_phone_publisher;

  void remove_viewer(std::string group, std::string viewer, control::Done<bool> done) override {
    complete("remove_viewer " + group + " " + viewer, std::move(done),
             [this, group, viewer]() -> Result<bool, control::ControlError> {
               const auto it = groups_.find(group);
               if (it == groups_.end()) return no_group(group);
               auto& viewers = it->second.viewers;
               const auto before = viewers.size();
               std::erase_if(viewers, [&](const auto& v) { return v.viewer == viewer; });
               if (viewers.size() == before) {
                 return failure(control::ControlErrorCode::not_found,
                                "viewer " + viewer + " is not admitted in group " + group);
               }
               return true;
             });
  }

  void close_group(std::string group, control::Done<bool> done) override {
    complete("close_group " + group, std::move(done),
             [this, group]() -> Result<bool, control::ControlError> {
               if (groups_.erase(group) == 0) return no_group(group);
               return true;
             });
  }

  void list_groups(control::Done<std::vector<control::GroupSnapshot>> done) override {
    complete("list_groups", std::move(done),
             [this]() -> Result<std::vector<control::GroupSnapshot>, control::ControlError> {
               std::vector<control::GroupSnapshot> all;
               for (const auto& [id, group] : groups_)
                 all.push_back(group);
               return all;
             });
  }

  void get_group(std::string group, control::Done<control::GroupSnapshot> done) override {
    complete("get_group " + group, std::move(done),
             [this, group]() -> Result<control::GroupSnapshot, control::ControlError> {
               const auto it = groups_.find(group);
               if (it == groups_.end()) return no_group(group);
               return it->second;
             });
  }

  // Issue 15: the first request for a group opens its edge, later ones find it open.
  void open_edge(control::EdgeRequest request, control::Done<control::EdgeOpened> done) override {
    complete("open_edge " + request.group + " " + request.origin_url, std::move(done),
             [this, request]() -> Result<control::EdgeOpened, control::ControlError> {
               if (!valid_number(request.group)) {
                 return failure(control::ControlErrorCode::bad_request, "bad group number");
               }
               if (request.origin_url.rfind("rtsp://", 0) != 0) {
                 return failure(control::ControlErrorCode::bad_request, "origin_url: not rtsp");
               }
               const bool created = edges_.insert(request.group).second;
               return control::EdgeOpened{request.group, created};
             });
  }

  void subscribe(std::function<void(const core::GroupEvent&)>) override {}

 private:
  static Failure<control::ControlError> failure(control::ControlErrorCode code,
                                                std::string message) {
    return fail(control::ControlError{code, std::move(message)});
  }
  static Failure<control::ControlError> no_group(const std::string& group) {
    return failure(control::ControlErrorCode::not_found, "no group " + group);
  }
  static bool valid_number(const std::string& number) {
    return !number.empty() && number.size() <= 32 &&
           number.find_first_not_of("0123456789+") == std::string::npos;
  }

  // Computes the result now (under the lock) and delivers it later, from the io_context.
  template <class T, class Compute>
  void complete(std::string call, control::Done<T> done, Compute compute) {
    const std::lock_guard lock(mutex_);
    calls_.push_back(std::move(call));
    if (drop_next_) {
      drop_next_ = false;
      return;  // `done` is destroyed uncalled
    }
    std::optional<Result<T, control::ControlError>> result;
    if (fail_next_) {
      result.emplace(fail(std::move(*fail_next_)));
      fail_next_.reset();
    } else {
      result.emplace(compute());
    }
    std::function<void()> completion = [done = std::move(done), r = std::move(*result)]() {
      done(r);
    };
    if (hold_) {
      held_.push_back(std::move(completion));
    } else {
      boost::asio::post(io_, std::move(completion));
    }
  }

  boost::asio::io_context& io_;
  mutable std::mutex mutex_;
  std::map<std::string, control::GroupSnapshot> groups_;
  std::set<std::string> edges_;
  std::vector<std::string> calls_;
  std::vector<std::function<void()>> held_;
  std::optional<control::ControlError> fail_next_;
  bool hold_ = false;
  bool drop_next_ = false;
};

}  // namespace callcast::http::test
