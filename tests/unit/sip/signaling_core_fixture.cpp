#include "signaling_core_fixture.hpp"

#include <cstdlib>

#include "sipwire/iptv_sdp.hpp"

namespace callcast::sip::test {
namespace {

// The nonce of a WWW-Authenticate value (Digest realm="...", nonce="...", ...).
std::string nonce_of(const std::string& challenge) {
  const std::string key = "nonce=\"";
  const auto start = challenge.find(key) + key.size();
  return challenge.substr(start, challenge.find('"', start) - start);
}

}  // namespace

SignalingCoreTest::ScratchDir::ScratchDir() {
  // In memory when the machine has a tmpfs: the forwarding store syncs every write to disk.
  std::error_code ec;
  const auto base = std::filesystem::is_directory("/dev/shm", ec)
                        ? std::filesystem::path("/dev/shm")
                        : std::filesystem::temp_directory_path();
  std::string pattern = (base / "signaling-core-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = pattern;
}

SignalingCoreTest::ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

SignalingCoreTest::SignalingCoreTest() {
  for (const auto& number : {kMaster, kViewer, kOther}) {
    EXPECT_TRUE(auth::add_user(dir_ / "users", "callcast", number, kPassword));
  }
  users_ = std::make_unique<auth::UserDirectory>(dir_ / "users", "callcast");
  EXPECT_TRUE(users_->load());
  auto store = forwarding::ForwardingStore::open(dir_ / "forwarding.sqlite");
  EXPECT_TRUE(store) << store.error();
  forwarding_ = std::move(*store);
  authenticator_ = std::make_unique<auth::DigestAuthenticator>(
      "callcast", "test-secret", std::chrono::seconds(300), [this] { return time_.wall_now(); });
  authenticator_->set_algorithms({auth::DigestAlgorithm::md5});
  make_core();
}

SignalingCoreTest::~SignalingCoreTest() {
  core_.reset();  // its timers before the simulated time
}

void SignalingCoreTest::make_core() {
  core_.reset();
  core_ = std::make_unique<SignalingCore>(
      config_, SignalingCore::Dependencies{
                   media_, *forwarding_, *users_, *authenticator_, web_, time_, time_,
                   // The SIP thread's queue: run at once.
                   [](std::function<void()> task) { task(); }, registrations_, cluster_node_});
  core_->start(core::HostPort{"127.0.0.1", 5060});
  web_.set_events(core_.get());
  // As the SIP loop's queue does: a web call's end is reported after the logic's own call.
  web_.set_post([this](std::function<void()> task) { web_reports_.push_back(std::move(task)); });
}

void SignalingCoreTest::run_web_reports() {
  while (!web_reports_.empty()) {
    auto task = std::move(web_reports_.front());
    web_reports_.erase(web_reports_.begin());
    task();
  }
}

SipRequest SignalingCoreTest::invite(const std::string& dialled, const std::string& from,
                                     const std::string& offer, const std::string& password) {
  SipRequest request;
  request.has_request_uri = true;
  request.request_user = dialled;
  request.request_host = "127.0.0.1";
  request.has_from = true;
  request.from_user = from;
  request.has_to = true;
  request.to_user = dialled;
  request.call_id = "call-" + std::to_string(next_handle_);
  request.cseq = 1;
  request.body = offer;
  // Not the address in the real phone offers' SDP: the phone is behind a NAT.
  request.source_address = "203.0.113.7";
  if (!offer.empty()) request.content_type = "application/sdp";
  if (!password.empty()) {
    auth::DigestCredentials credentials;
    credentials.username = from;
    credentials.realm = "callcast";
    credentials.nonce = nonce_of(authenticator_->challenges().front());
    credentials.uri = "sip:" + dialled + "@127.0.0.1";
    credentials.algorithm = "MD5";
    credentials.qop = "auth";
    credentials.nc = "00000001";
    credentials.cnonce = "0a4f113b";
    const auto ha1 =
        auth::digest_ha1(auth::DigestAlgorithm::md5, from, credentials.realm, password);
    credentials.response =
        auth::digest_response(auth::DigestAlgorithm::md5, ha1, credentials, "INVITE");
    request.credentials.push_back(credentials);
  }
  return request;
}

StackHandle SignalingCoreTest::receive(const SipRequest& request) {
  const StackHandle handle = next_handle_;
  next_handle_ += 2;  // even, as sofia's handles are (WebCalls gives browsers odd ones)
  core_->on_invite(handle, request);
  return handle;
}

StackHandle SignalingCoreTest::receive_invite_to_service(const std::string& from) {
  return receive(
      invite(config_.service_number, from, make_iptv_offer("127.0.0.1", IptvDirection::sendonly)));
}

StackHandle SignalingCoreTest::receive_invite_to(const std::string& number,
                                                 const std::string& from) {
  return receive(invite(number, from, make_iptv_offer("127.0.0.1", IptvDirection::recvonly)));
}

void SignalingCoreTest::receive_ack(StackHandle handle) {
  core_->on_call_confirmed(stack_.bound[handle]);
}

void SignalingCoreTest::receive_bye(StackHandle handle) {
  core_->on_call_ended(stack_.bound[handle], "BYE");
}

void SignalingCoreTest::receive_cancel(StackHandle handle) {
  core_->on_call_ended(stack_.bound[handle], "CANCEL");
}

SipRequest SignalingCoreTest::register_request(const std::string& user,
                                               std::optional<int> expires_s) {
  SipRequest request = invite(user, user, "");
  // A REGISTER's digest covers its own method.
  request.credentials.front().response = auth::digest_response(
      auth::DigestAlgorithm::md5,
      auth::digest_ha1(auth::DigestAlgorithm::md5, user, "callcast", kPassword),
      request.credentials.front(), "REGISTER");
  request.contacts.push_back({"sip:" + user + "@192.0.2.7:5062", std::nullopt});
  if (expires_s) request.expires = std::chrono::seconds(*expires_s);
  return request;
}

StackHandle SignalingCoreTest::receive_register(const std::string& user,
                                                std::optional<int> expires_s) {
  return receive_register(register_request(user, expires_s));
}

StackHandle SignalingCoreTest::receive_register(const SipRequest& request) {
  const StackHandle handle = next_handle_;
  next_handle_ += 2;
  core_->on_register(handle, request);
  return handle;
}

SipAnswer SignalingCoreTest::last_answer(StackHandle handle) {
  const auto& answers = stack_.answers[handle];
  EXPECT_FALSE(answers.empty()) << "nothing was answered to handle " << handle;
  return answers.empty() ? SipAnswer{} : answers.back();
}

SipAnswer SignalingCoreTest::expect_final_answer(StackHandle handle, int status) {
  const SipAnswer answer = last_answer(handle);
  EXPECT_EQ(answer.status, status) << answer.phrase << " / " << answer.warning;
  return answer;
}

void SignalingCoreTest::expect_no_final_answer(StackHandle handle) {
  for (const auto& answer : stack_.answers[handle])
    EXPECT_LT(answer.status, 200) << answer.phrase << " / " << answer.warning;
}

void SignalingCoreTest::expect_bye(StackHandle handle, const std::string& reason_part) {
  const auto& byes = stack_.byes[handle];
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_NE(byes.front().find(reason_part), std::string::npos) << byes.front();
}

void SignalingCoreTest::expect_no_bye(StackHandle handle) {
  EXPECT_TRUE(stack_.byes[handle].empty());
}

void SignalingCoreTest::media_reports_group_created() {
  ASSERT_FALSE(media_.creates.empty());
  auto request = std::move(media_.creates.front());
  media_.creates.pop_front();
  request.done(control::GroupCreated{request.master, "rtsp://media/publish/" + request.master,
                                     "127.0.0.1", 8000, 8001, ""});
}

void SignalingCoreTest::media_refuses_group(control::ControlErrorCode code) {
  ASSERT_FALSE(media_.creates.empty());
  auto request = std::move(media_.creates.front());
  media_.creates.pop_front();
  request.done(callcast::fail(control::ControlError{code, "refused by the test"}));
}

void SignalingCoreTest::media_reports_master_joined(const std::string& group) {
  media_reports(core::GroupEventKind::master_joined, group, group);
}

void SignalingCoreTest::media_reports(core::GroupEventKind kind, const std::string& group,
                                      const std::string& terminal, const std::string& reason) {
  core_->on_media_event(core::GroupEvent{kind, group, terminal, reason});
}

void SignalingCoreTest::media_admits_viewer() {
  ASSERT_FALSE(media_.admits.empty());
  auto request = std::move(media_.admits.front());
  media_.admits.pop_front();
  control::ViewerAdmitted admitted;
  admitted.group = request.group;
  admitted.viewer = request.viewer;
  admitted.play_url = "rtsp://media/play/" + request.group;
  request.done(std::move(admitted));
}

void SignalingCoreTest::media_refuses_viewer(control::ControlErrorCode code) {
  ASSERT_FALSE(media_.admits.empty());
  auto request = std::move(media_.admits.front());
  media_.admits.pop_front();
  request.done(callcast::fail(control::ControlError{code, "refused by the test"}));
}

StackHandle SignalingCoreTest::start_live_broadcast(const std::string& master,
                                                    bool takes_audience) {
  SipRequest request =
      invite(config_.service_number, master, make_iptv_offer("127.0.0.1", IptvDirection::sendonly));
  if (takes_audience) request.recv_info.push_back("callcast-audience");
  const StackHandle handle = receive(request);
  media_reports_group_created();
  media_reports_master_joined(master);
  expect_final_answer(handle, 200);
  return handle;
}

StackHandle SignalingCoreTest::watch(const std::string& viewer, const std::string& number) {
  const StackHandle handle = receive_invite_to(number, viewer);
  media_admits_viewer();
  expect_final_answer(handle, 200);
  return handle;
}

std::optional<std::string> SignalingCoreTest::forwarding_of(const std::string& number) {
  auto target = forwarding_->unconditional_target(number);
  EXPECT_TRUE(target);
  return target ? *target : std::nullopt;
}

}  // namespace callcast::sip::test
