// The admin API over real sockets on 127.0.0.1, against an in-memory MediaControl.
#include "http/admin_api.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "fake_media_control.hpp"
#include "http/snapshot_json.hpp"
#include "http_test_client.hpp"
#include "io_thread.hpp"

namespace callcast::http::admin_api_test {
namespace {

using control::ControlErrorCode;
using test::FakeMediaControl;
using test::Reply;
using test::TestClient;

constexpr const char* kKey = "s3cret-admin-key";

control::GroupSnapshot live_group() {
  control::GroupSnapshot group;
  group.group = "13800000001";
  group.master = "13800000001";
  group.state = "live";
  group.created_unix = 1700000123;
  group.publisher = control::PublisherStats{"13800000001", "tcp", "10.0.0.2:51000", 12.5, 1, 2, 7};
  group.tracks.push_back({0, "video", "H264", 90000, 1000, 1200000, 812345.5, 3, 4});
  control::ViewerStats viewer;
  viewer.viewer = "13900000002";
  viewer.state = "playing";
  viewer.transport = "udp";
  viewer.remote = "10.0.0.3:5004";
  viewer.packets_sent = 990;
  viewer.bytes_sent = 1180000;
  viewer.packets_dropped = 10;
  viewer.rtcp_reports = 5;
  viewer.reception = control::ReceptionStats{0.25, 12, 3.5, 1.25};
  group.viewers.push_back(viewer);
  return group;
}

class AdminApiTest : public ::testing::Test {
 protected:
  void TearDown() override { shut_down(); }

  // Starts the server with the admin API; an empty key means loopback-only access.
  // `other_routes` adds the routes of another API sharing the server (as the Ut API does).
  void start_server(std::string api_key = "", ServerOptions options = {},
                    const std::function<void(HttpServer&)>& other_routes = {}) {
    server_ = std::make_unique<HttpServer>(io_.io(), options);
    AdminApi api(*server_, control_, std::move(api_key));
    if (other_routes) other_routes(*server_);
    const auto listening = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(listening.ok()) << listening.error();
    io_.start();
  }

  void shut_down() {
    if (!server_) return;
    io_.run_sync([this] { server_->stop(); });
    io_.join();
    server_.reset();
  }

  std::uint16_t port() const { return server_->port(); }

  Reply send(std::string_view method, std::string_view target, std::string body = {},
             std::vector<Header> headers = {}) {
    TestClient client(port());
    EXPECT_TRUE(client.connected());
    auto reply = client.request(method, target, std::move(body), std::move(headers));
    EXPECT_TRUE(reply.has_value()) << method << " " << target << ": no reply";
    return reply.value_or(Reply{});
  }

  Reply create_group(std::string_view master) {
    return send("POST", "/v1/groups", R"({"master":")" + std::string(master) + R"("})");
  }

  static void expect_error(const Reply& reply, int status, std::string_view code) {
    EXPECT_EQ(reply.status, status) << reply.body;
    EXPECT_EQ(reply.header("Content-Type"), "application/json");
    const auto body = reply.json();
    ASSERT_TRUE(body.is_object()) << reply.body;
    EXPECT_EQ(body.value("error", ""), code) << reply.body;
    EXPECT_TRUE(body.contains("message") && body["message"].is_string()) << reply.body;
  }

  test::IoThread io_;
  FakeMediaControl control_{io_.io()};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(AdminApiTest, HealthzAnswersOk) {
  start_server();
  const Reply reply = send("GET", "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json(), nlohmann::json({{"status", "ok"}}));
}

TEST_F(AdminApiTest, CreateGroupAnswers201WithPublishUrl) {
  start_server();
  const Reply reply = create_group("13800000001");
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.header("Location"), "/v1/groups/13800000001");
  const auto body = reply.json();
  EXPECT_EQ(body["group"], "13800000001");
  EXPECT_EQ(body["publish_url"], "rtsp://127.0.0.1:8554/13800000001?t=p");
  EXPECT_EQ(control_.calls(), std::vector<std::string>{"create_group 13800000001"});
}

TEST_F(AdminApiTest, CreateGroupTwiceIsConflict) {
  start_server();
  ASSERT_EQ(create_group("13800000001").status, 201);
  expect_error(create_group("13800000001"), 409, "conflict");
}

TEST_F(AdminApiTest, InvalidNumberRejectedByControlIsBadRequest) {
  start_server();
  const Reply reply = create_group("not a number");
  expect_error(reply, 400, "bad_request");
  EXPECT_EQ(reply.json()["message"], "invalid master number: not a number");
}

TEST_F(AdminApiTest, PhoneViewerTakesTheGroupFromThePathAndRefusesBadRoutes) {
  start_server();
  ASSERT_EQ(create_group("13800000001").status, 201);
  const std::string body =
      R"({"viewer":"13900000002","signaling_address":"198.51.100.9","tracks":[)"
      R"({"media":"video","host":"10.0.0.2","rtp_port":40000,"rtcp_port":40001,"payload_type":102}]})";
  const Reply reply = send("POST", "/v1/groups/13800000001/phone-viewers", body);
  EXPECT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(reply.json(), nlohmann::json({{"session", "phone-13900000002"}}));
  ASSERT_TRUE(control_.last_phone_viewer.has_value());
  EXPECT_EQ(control_.last_phone_viewer->group, "13800000001");
  EXPECT_EQ(control_.last_phone_viewer->tracks.at(0).payload_type, 102);

  control_.last_phone_viewer.reset();
  const Reply bad = send("POST", "/v1/groups/13800000001/phone-viewers",
                         R"({"viewer":"1","signaling_address":"x","tracks":[{"media":"video",)"
                         R"("host":"h","rtp_port":0,"rtcp_port":1,"payload_type":1}]})");
  expect_error(bad, 400, "bad_request");
  EXPECT_FALSE(control_.last_phone_viewer.has_value()) << "nothing reached the media side";
  expect_error(send("POST", "/v1/groups/404404/phone-viewers", body), 404, "not_found");
}

TEST_F(AdminApiTest, AdmitViewerAnswers201WithPlayUrl) {
  start_server();
  ASSERT_EQ(create_group("13800000001").status, 201);
  const Reply reply = send("POST", "/v1/groups/13800000001/viewers", R"({"viewer":"13900000002"})");
  EXPECT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(reply.json(), nlohmann::json({{"group", "13800000001"},
                                          {"viewer", "13900000002"},
                                          {"play_url", "rtsp://127.0.0.1:8554/13800000001?t=v"},
                                          {"tracks", nlohmann::json::array()},
                                          {"rtp_host", ""},
                                          {"rtp_port", 0},
                                          {"rtcp_port", 0},
                                          {"whep_url", ""}}));
}

TEST_F(AdminApiTest, AdmitViewerIntoUnknownGroupIsNotFound) {
  start_server();
  expect_error(send("POST", "/v1/groups/404404/viewers", R"({"viewer":"13900000002"})"), 404,
               "not_found");
}

TEST_F(AdminApiTest, RemoveViewerAnswers204ThenNotFound) {
  start_server();
  ASSERT_EQ(create_group("13800000001").status, 201);
  ASSERT_EQ(send("POST", "/v1/groups/13800000001/viewers", R"({"viewer":"139"})").status, 201);
  const Reply removed = send("DELETE", "/v1/groups/13800000001/viewers/139");
  EXPECT_EQ(removed.status, 204);
  EXPECT_TRUE(removed.body.empty());
  expect_error(send("DELETE", "/v1/groups/13800000001/viewers/139"), 404, "not_found");
}

TEST_F(AdminApiTest, CloseGroupAnswers204AndTheGroupIsGone) {
  start_server();
  ASSERT_EQ(create_group("13800000001").status, 201);
  EXPECT_EQ(send("DELETE", "/v1/groups/13800000001").status, 204);
  expect_error(send("GET", "/v1/groups/13800000001"), 404, "not_found");
  expect_error(send("DELETE", "/v1/groups/13800000001"), 404, "not_found");
}

TEST_F(AdminApiTest, ListGroupsAnswersEverySnapshot) {
  start_server();
  control_.add_live_group(live_group());
  ASSERT_EQ(create_group("555").status, 201);
  const Reply reply = send("GET", "/v1/groups");
  ASSERT_EQ(reply.status, 200);
  const auto groups = parse_group_list(reply.body);
  ASSERT_TRUE(groups.ok()) << groups.error();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].group, "13800000001");
  EXPECT_EQ((*groups)[0].viewers.at(0).reception->jitter_ms, 3.5);
  EXPECT_EQ((*groups)[1].group, "555");
  EXPECT_FALSE((*groups)[1].publisher.has_value());
}

TEST_F(AdminApiTest, ListGroupsWhenEmptyIsAnEmptyArray) {
  start_server();
  const Reply reply = send("GET", "/v1/groups");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json(), nlohmann::json::parse(R"({"groups":[]})"));
}

TEST_F(AdminApiTest, GetGroupAnswersTheSnapshotJson) {
  start_server();
  control_.add_live_group(live_group());
  const Reply reply = send("GET", "/v1/groups/13800000001");
  ASSERT_EQ(reply.status, 200);
  const auto body = reply.json();
  EXPECT_EQ(body["state"], "live");
  EXPECT_EQ(body["publisher"]["remote"], "10.0.0.2:51000");
  EXPECT_EQ(body["tracks"][0]["codec"], "H264");
  EXPECT_EQ(body["viewers"][0]["reception"]["cumulative_lost"], 12);
  const auto parsed = parse_group_snapshot(reply.body);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->viewers.at(0).packets_dropped, 10u);
}

TEST_F(AdminApiTest, PercentEncodedPathSegmentsAreDecoded) {
  start_server();
  ASSERT_EQ(create_group("+8613800000001").status, 201);
  EXPECT_EQ(send("GET", "/v1/groups/%2B8613800000001").status, 200);
  EXPECT_EQ(control_.calls().back(), "get_group +8613800000001");
  expect_error(send("GET", "/v1/groups/%zz"), 400, "bad_request");
}

std::string code_name(const ::testing::TestParamInfo<ControlErrorCode>& code) {
  return std::string(control::to_string(code.param));
}

class AdminApiControlErrorTest : public AdminApiTest,
                                 public ::testing::WithParamInterface<ControlErrorCode> {};

TEST_P(AdminApiControlErrorTest, ControlErrorKeepsItsCodeAndStatus) {
  start_server();
  control_.fail_next_call(GetParam(), "forced by the test");
  const Reply reply = create_group("13800000001");
  expect_error(reply, control::http_status(GetParam()), control::to_string(GetParam()));
  EXPECT_EQ(reply.json()["message"], "forced by the test");
}

INSTANTIATE_TEST_SUITE_P(EveryCode, AdminApiControlErrorTest,
                         ::testing::Values(ControlErrorCode::bad_request,
                                           ControlErrorCode::unauthorized,
                                           ControlErrorCode::not_found, ControlErrorCode::conflict,
                                           ControlErrorCode::limit_reached,
                                           ControlErrorCode::unavailable),
                         code_name);

TEST_F(AdminApiTest, ControlErrorsOnEveryRouteAreMapped) {
  start_server();
  control_.add_live_group(live_group());
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/v1/groups"},
      {"GET", "/v1/groups/13800000001"},
      {"DELETE", "/v1/groups/13800000001"},
      {"DELETE", "/v1/groups/13800000001/viewers/13900000002"},
  };
  for (const auto& [method, target] : routes) {
    control_.fail_next_call(ControlErrorCode::unavailable, "media side down");
    expect_error(send(method, target), 503, "unavailable");
  }
  control_.fail_next_call(ControlErrorCode::limit_reached, "group full");
  expect_error(send("POST", "/v1/groups/13800000001/viewers", R"({"viewer":"1"})"), 503,
               "limit_reached");
}

TEST_F(AdminApiTest, MalformedJsonIsBadRequest) {
  start_server();
  const Reply reply = send("POST", "/v1/groups", R"({"master":)");
  expect_error(reply, 400, "bad_request");
  EXPECT_EQ(reply.json()["message"], "the request body is not valid JSON");
  expect_error(send("POST", "/v1/groups"), 400, "bad_request");  // empty body
  EXPECT_TRUE(control_.calls().empty());
}

TEST_F(AdminApiTest, BodyThatIsNotAnObjectIsBadRequest) {
  start_server();
  const Reply reply = send("POST", "/v1/groups", R"(["13800000001"])");
  expect_error(reply, 400, "bad_request");
  EXPECT_EQ(reply.json()["message"], "the request body must be a JSON object");
}

TEST_F(AdminApiTest, MissingFieldIsBadRequestNamingTheField) {
  start_server();
  const Reply reply = send("POST", "/v1/groups", R"({"masters":"1"})");
  expect_error(reply, 400, "bad_request");
  EXPECT_EQ(reply.json()["message"], R"(field "master" is required and must be a string)");
  const Reply viewer = send("POST", "/v1/groups/1/viewers", "{}");
  expect_error(viewer, 400, "bad_request");
  EXPECT_EQ(viewer.json()["message"], R"(field "viewer" is required and must be a string)");
  EXPECT_TRUE(control_.calls().empty());
}

TEST_F(AdminApiTest, NonStringFieldIsBadRequestNamingTheField) {
  start_server();
  const Reply reply = send("POST", "/v1/groups", R"({"master":13800000001})");
  expect_error(reply, 400, "bad_request");
  EXPECT_NE(reply.json()["message"].get<std::string>().find("\"master\""), std::string::npos);
}

TEST_F(AdminApiTest, WrongMethodOnKnownPathIs405WithAllow) {
  start_server();
  const Reply groups = send("PUT", "/v1/groups", "{}");
  expect_error(groups, 405, "method_not_allowed");
  EXPECT_EQ(groups.header("Allow"), "POST, GET");
  const Reply group = send("POST", "/v1/groups/1");
  expect_error(group, 405, "method_not_allowed");
  EXPECT_EQ(group.header("Allow"), "GET, DELETE");
  EXPECT_EQ(send("GET", "/v1/groups/1/viewers").header("Allow"), "POST");
  EXPECT_EQ(send("POST", "/v1/groups/1/viewers/2").header("Allow"), "DELETE");
  EXPECT_EQ(send("DELETE", "/healthz").header("Allow"), "GET");
}

TEST_F(AdminApiTest, UnknownPathIs404) {
  start_server();
  expect_error(send("GET", "/v2/groups"), 404, "not_found");
  expect_error(send("GET", "/v1/groups/1/viewers/2/extra"), 404, "not_found");
  expect_error(send("GET", "/v1/groups//viewers"), 404, "not_found");
}

TEST_F(AdminApiTest, QueryStringIsIgnoredForRouting) {
  start_server();
  EXPECT_EQ(send("GET", "/healthz?verbose=1").status, 200);
}

TEST_F(AdminApiTest, OversizedBodyIs413) {
  start_server();
  const std::string huge = R"({"master":")" + std::string(70 * 1024, '1') + R"("})";
  expect_error(send("POST", "/v1/groups", huge), 413, "payload_too_large");
  EXPECT_TRUE(control_.calls().empty());
}

TEST_F(AdminApiTest, OversizedChunkedBodyIs413) {
  start_server();
  TestClient client(port());
  const std::string huge = R"({"master":")" + std::string(70 * 1024, '1') + R"("})";
  ASSERT_TRUE(client.send_request("POST", "/v1/groups", huge, {}, /*chunked=*/true));
  const auto reply = client.read_reply();
  ASSERT_TRUE(reply.has_value());
  expect_error(*reply, 413, "payload_too_large");
}

TEST_F(AdminApiTest, BodyAtTheLimitIsAccepted) {
  start_server();
  std::string body = R"({"master":"1","pad":")";
  body += std::string(64 * 1024 - body.size() - 2, 'x') + R"("})";
  ASSERT_EQ(body.size(), 64u * 1024u);
  EXPECT_EQ(send("POST", "/v1/groups", body).status, 201);
}

TEST_F(AdminApiTest, ApiKeyMissingIs401WithChallenge) {
  start_server(kKey);
  const Reply reply = send("GET", "/v1/groups");
  expect_error(reply, 401, "unauthorized");
  EXPECT_EQ(reply.header("WWW-Authenticate"), R"(Bearer realm="callcast")");
  EXPECT_TRUE(control_.calls().empty());
}

TEST_F(AdminApiTest, ApiKeyWrongIs401) {
  start_server(kKey);
  for (const std::string authorization :
       {"Bearer wrong", "Bearer s3cret-admin-ke", "Bearer s3cret-admin-keyy", "Basic czNjcmV0",
        "Bearer", "s3cret-admin-key"}) {
    const Reply reply = send("GET", "/healthz", {}, {{"Authorization", authorization}});
    expect_error(reply, 401, "unauthorized");
    EXPECT_EQ(reply.header("WWW-Authenticate"), R"(Bearer realm="callcast")") << authorization;
  }
}

TEST_F(AdminApiTest, ApiKeyRightIsServed) {
  start_server(kKey);
  const Reply reply = send("POST", "/v1/groups", R"({"master":"1"})",
                           {{"Authorization", std::string("Bearer ") + kKey}});
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(send("GET", "/healthz", {}, {{"Authorization", std::string("bearer ") + kKey}}).status,
            200);
}

TEST_F(AdminApiTest, ApiKeyIsCheckedBeforeTheBodyIsRead) {
  start_server(kKey);
  const std::string huge(70 * 1024, 'x');
  expect_error(send("POST", "/v1/groups", huge), 401, "unauthorized");
}

TEST_F(AdminApiTest, WithoutApiKeyLoopbackClientsAreServed) {
  start_server();
  EXPECT_EQ(send("GET", "/healthz").status, 200);
}

// The Ut API lives under /ut/ on the same server with its own (digest) authentication: the admin
// key must neither be required there nor be enough.
TEST_F(AdminApiTest, ApiKeyIsNotRequiredOnAnotherApisPaths) {
  start_server(kKey, {}, [](HttpServer& server) {
    server.route("GET", "/ut/v1/users/{number}/forwarding/unconditional",
                 [](const Request& request, Responder respond) {
                   respond(Response::json(
                       200, R"({"target":")" + std::string(request.param("number")) + R"("})"));
                 });
  });
  const Reply ut = send("GET", "/ut/v1/users/138/forwarding/unconditional");
  EXPECT_EQ(ut.status, 200) << ut.body;
  EXPECT_EQ(ut.json(), nlohmann::json({{"target", "138"}}));
  expect_error(send("GET", "/v1/groups"), 401, "unauthorized");
  expect_error(send("GET", "/healthz"), 401, "unauthorized");
}

TEST(AdminApiAccess, GuardsOnlyItsOwnPaths) {
  // GET /metrics shares the admin API's access rule (issue 11 item 5).
  for (const char* path : {"/healthz", "/metrics", "/v1", "/v1/", "/v1/groups",
                           "/v1/groups/1/viewers", "/v1/events"}) {
    EXPECT_TRUE(AdminApi::guards(path)) << path;
  }
  for (const char* path : {"/ut/v1/users/1/forwarding/unconditional", "/v10/groups", "/metricsx",
                           "/metrics/x", "/", "/healthz/x", "/V1/groups"}) {
    EXPECT_FALSE(AdminApi::guards(path)) << path;
  }
}

TEST_F(AdminApiTest, EventsAreNotServedWhenTheControlKeepsNone) {
  start_server();
  expect_error(send("GET", "/v1/events?after=0&wait_ms=0"), 404, "not_found");
}

TEST(AdminApiAccess, WithoutApiKeyOnlyLoopbackPeersAreServed) {
  boost::asio::io_context io;
  HttpServer server(io);
  FakeMediaControl control(io);
  const AdminApi api(server, control, "");
  Request request;
  request.method = "GET";
  request.path = "/v1/groups";
  for (const char* address : {"127.0.0.1", "127.10.20.30", "::1", "::ffff:127.0.0.1"}) {
    request.peer_address = address;
    EXPECT_FALSE(api.check_access(request).has_value()) << address;
  }
  for (const char* address : {"10.0.0.5", "192.168.1.2", "::2", "::ffff:10.0.0.5", "fe80::1", ""}) {
    request.peer_address = address;
    const auto denied = api.check_access(request);
    ASSERT_TRUE(denied.has_value()) << address;
    EXPECT_EQ(denied->status, 403);
    EXPECT_EQ(nlohmann::json::parse(denied->body),
              nlohmann::json({{"error", "forbidden"},
                              {"message",
                               "no api_key configured: the admin API only answers loopback "
                               "clients"}}));
  }
}

TEST(AdminApiAccess, WithApiKeyRemotePeersWithTheKeyAreServed) {
  boost::asio::io_context io;
  HttpServer server(io);
  FakeMediaControl control(io);
  const AdminApi api(server, control, kKey);
  Request request;
  request.peer_address = "203.0.113.9";
  request.headers.push_back({"authorization", std::string("Bearer ") + kKey});
  EXPECT_FALSE(api.check_access(request).has_value());
  request.headers.clear();
  request.peer_address = "127.0.0.1";  // a key, once set, is needed from loopback too
  const auto denied = api.check_access(request);
  ASSERT_TRUE(denied.has_value());
  EXPECT_EQ(denied->status, 401);
}

TEST_F(AdminApiTest, SlowControlDoesNotBlockOtherClients) {
  start_server();
  control_.hold_completions(true);
  TestClient slow(port());
  ASSERT_TRUE(slow.send_request("POST", "/v1/groups", R"({"master":"1"})"));
  while (control_.held_count() == 0)
    std::this_thread::yield();

  EXPECT_EQ(send("GET", "/healthz").status, 200);  // served while the create is pending

  EXPECT_EQ(control_.release_held(), 1u);
  const auto reply = slow.read_reply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 201);
  // The connection stays usable after the asynchronous answer.
  const auto again = slow.request("GET", "/v1/groups/1");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
}

TEST_F(AdminApiTest, ControlThatDropsItsCallbackGives500) {
  start_server();
  control_.drop_next_completion();
  expect_error(send("GET", "/v1/groups"), 500, "internal_error");
  EXPECT_EQ(send("GET", "/v1/groups").status, 200);
}

TEST_F(AdminApiTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start_server();
  TestClient client(port());
  for (int i = 0; i < 3; ++i) {
    const auto reply = client.request("GET", "/healthz");
    ASSERT_TRUE(reply.has_value()) << i;
    EXPECT_EQ(reply->status, 200);
  }
  ServerStats counters;
  io_.run_sync([&] { counters = server_->stats(); });
  EXPECT_EQ(counters.connections_accepted, 1u);
}

TEST_F(AdminApiTest, HeaderTooLargeIs431) {
  start_server();
  expect_error(send("GET", "/healthz", {}, {{"X-Padding", std::string(9000, 'p')}}), 431,
               "header_too_large");
}

}  // namespace
}  // namespace callcast::http::admin_api_test
