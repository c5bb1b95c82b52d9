#pragma once
// The network side's logic (SignalingCore) on a fake SIP stack, a fake media side and simulated
// time: a fixture whose helpers say what happens (a terminal calls, the media side answers, time
// passes), so each flow of 701-714 and each error answer is one short test.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "auth/digest.hpp"
#include "auth/user_directory.hpp"
#include "fake_media_control.hpp"
#include "fake_sip_stack.hpp"
#include "forwarding/forwarding_store.hpp"
#include "sip/signaling_core.hpp"
#include "sip/web_calls.hpp"
#include "support/simulated_time.hpp"

namespace callcast::sip::test {

inline const std::string kMaster = "13800000001";
inline const std::string kViewer = "13900000002";
inline const std::string kOther = "13700000003";
inline const std::string kPassword = "secret";

class SignalingCoreTest : public ::testing::Test {
 protected:
  SignalingCoreTest();
  ~SignalingCoreTest() override;

  // Builds the core; a test that changes config_ calls it again first.
  void make_core();

  // A terminal's INVITE, signed with its password (`password` empty: no credentials).
  SipRequest invite(const std::string& dialled, const std::string& from, const std::string& offer,
                    const std::string& password = kPassword);
  StackHandle receive(const SipRequest& request);
  StackHandle receive_invite_to_service(const std::string& from);
  StackHandle receive_invite_to(const std::string& number, const std::string& from);
  void receive_bye(StackHandle handle);
  void receive_ack(StackHandle handle);  // the ACK of our 200
  void receive_cancel(StackHandle handle);
  // A REGISTER of `user` for its own number, signed, with one Contact.
  SipRequest register_request(const std::string& user, std::optional<int> expires_s);
  StackHandle receive_register(const std::string& user, std::optional<int> expires_s);
  StackHandle receive_register(const SipRequest& request);

  // The last answer sent to `handle` (a failure when none was).
  SipAnswer last_answer(StackHandle handle);
  // The last answer is final (>= 200) with this status; returns it.
  SipAnswer expect_final_answer(StackHandle handle, int status);
  void expect_no_final_answer(StackHandle handle);
  void expect_bye(StackHandle handle, const std::string& reason_part);
  void expect_no_bye(StackHandle handle);

  void media_reports_group_created();
  void media_refuses_group(control::ControlErrorCode code);
  void media_reports_master_joined(const std::string& group);
  // `reason` as the media side words it (viewer_left: "timeout", "teardown", "removed"...).
  void media_reports(core::GroupEventKind kind, const std::string& group,
                     const std::string& terminal, const std::string& reason = "test");
  void media_admits_viewer();
  void media_refuses_viewer(control::ControlErrorCode code);

  // 701-707 for `master`: the call is answered 200; returns its handle.
  StackHandle start_live_broadcast(const std::string& master, bool takes_audience = false);
  // 710-713 for `viewer` calling `number`; returns its handle.
  StackHandle watch(const std::string& viewer, const std::string& number);

  std::optional<std::string> forwarding_of(const std::string& number);
  // What WebCalls posted (a browser call's end, for the logic): run now.
  void run_web_reports();

  // The users file and the forwarding database (the store is SQLite on a file).
  class ScratchDir {
   public:
    ScratchDir();
    ~ScratchDir();
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

   private:
    std::filesystem::path path_;
  };
  ScratchDir dir_;
  ::callcast::test::SimulatedTime time_;
  core::SipConfig config_;
  FakeSipStack stack_;
  WebCalls web_{stack_};  // the core's stack: browsers' calls beside the fake SIP ones
  std::vector<std::function<void()>> web_reports_;
  FakeMediaControl media_;
  std::unique_ptr<auth::UserDirectory> users_;
  std::unique_ptr<forwarding::ForwardingStore> forwarding_;
  std::unique_ptr<auth::DigestAuthenticator> authenticator_;
  RegistrationStore* registrations_ = nullptr;  // null: the core's own memory
  bool cluster_node_ = false;                   // make_core() again after setting it
  std::unique_ptr<SignalingCore> core_;
  StackHandle next_handle_ = 100;
};

}  // namespace callcast::sip::test
