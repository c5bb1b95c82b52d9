// The Ut API over real sockets on 127.0.0.1: curl as the real digest peer for GET/PUT/DELETE,
// hand-made requests (digest computed here with OpenSSL, independently of callcast_auth) for the
// refusals, and an injected clock for stale nonces.
#include "forwarding/ut_api.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "auth/user_directory.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "unit/http/http_test_client.hpp"
#include "unit/http/io_thread.hpp"

namespace callcast::forwarding::ut_api_test {
namespace {

using http::Header;
using http::test::Reply;
using http::test::TestClient;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kRealm = "callcast";
constexpr const char* kPath1001 = "/ut/v1/users/1001/forwarding/unconditional";
constexpr const char* kPath1002 = "/ut/v1/users/1002/forwarding/unconditional";

std::string hex_digest(const EVP_MD* md, std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, md, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

// A quoted parameter of a challenge, e.g. nonce="..." -> its value; "" when absent.
std::string challenge_param(std::string_view challenge, std::string_view name) {
  const std::string key = std::string(name) + "=\"";
  const std::size_t begin = challenge.find(key);
  if (begin == std::string_view::npos) return {};
  const std::size_t value = begin + key.size();
  const std::size_t end = challenge.find('"', value);
  return std::string(challenge.substr(value, end - value));
}

std::vector<std::string> header_values(const Reply& reply, std::string_view name) {
  std::vector<std::string> values;
  for (const Header& header : reply.headers) {
    if (header.name.size() == name.size() &&
        std::equal(header.name.begin(), header.name.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      values.push_back(header.value);
    }
  }
  return values;
}

// What a client puts in Authorization for one challenge (RFC 7616 §3.4.1, qop=auth).
struct DigestInput {
  std::string user = "1001";
  std::string password = "pw-1001";
  std::string realm = kRealm;
  std::string algorithm = "SHA-256";  // or "MD5"
  std::string nonce;
  std::string opaque;
  std::string uri;  // the digest-uri; the request target unless a test lies
};

std::string authorization(const DigestInput& in, std::string_view method) {
  const EVP_MD* md = in.algorithm == "MD5" ? EVP_md5() : EVP_sha256();
  const std::string cnonce = "0a4f113b";
  const std::string nc = "00000001";
  const std::string ha1 = hex_digest(md, in.user + ":" + in.realm + ":" + in.password);
  const std::string ha2 = hex_digest(md, std::string(method) + ":" + in.uri);
  const std::string response =
      hex_digest(md, ha1 + ":" + in.nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
  std::string header = "Digest username=\"" + in.user + "\", realm=\"" + in.realm + "\", nonce=\"" +
                       in.nonce + "\", uri=\"" + in.uri + "\", algorithm=" + in.algorithm +
                       ", qop=auth, nc=" + nc + ", cnonce=\"" + cnonce + "\", response=\"" +
                       response + "\"";
  if (!in.opaque.empty()) header += ", opaque=\"" + in.opaque + "\"";
  return header;
}

struct CurlResult {
  int status = 0;
  std::string body;
  std::string verbose;  // curl -v: the request and response headers of every exchange
};

class UtApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(auth::add_user(users_file(), kRealm, "1001", "pw-1001").ok());
    ASSERT_TRUE(auth::add_user(users_file(), kRealm, "1002", "pw-1002").ok());
    users_ = std::make_unique<auth::UserDirectory>(users_file(), kRealm);
    auto loaded = users_->load();
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    ASSERT_EQ(*loaded, 2U);

    // A short busy timeout so that StoreFailureAnswers500 does not wait long for the lock.
    auto store = ForwardingStore::open(db_file(), std::chrono::milliseconds(100));
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(store).value();

    authenticator_ = std::make_unique<auth::DigestAuthenticator>(
        kRealm, "ut-test-secret", std::chrono::seconds(300), [this] { return now(); });
    server_ = std::make_unique<http::HttpServer>(io_.io());
    UtApi api(*server_, *store_, *users_, *authenticator_);
    const auto listening = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(listening.ok()) << listening.error();
    io_.start();
  }

  void TearDown() override {
    if (!server_) return;
    io_.run_sync([this] { server_->stop(); });
    io_.join();
  }

  std::filesystem::path users_file() const { return dir_ / "users"; }
  std::filesystem::path db_file() const { return dir_ / "forwarding.sqlite"; }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }

  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::seconds(clock_seconds_.load()));
  }
  void advance_clock(std::chrono::seconds by) { clock_seconds_ += by.count(); }

  Reply send(std::string_view method, std::string_view target, std::string body = {},
             std::vector<Header> headers = {}) {
    TestClient client(server_->port());
    EXPECT_TRUE(client.connected());
    auto reply = client.request(method, target, std::move(body), std::move(headers));
    EXPECT_TRUE(reply.has_value()) << method << " " << target << ": no reply";
    return reply.value_or(Reply{});
  }

  // A challenge as the server hands it out (the first one: SHA-256).
  DigestInput challenge_for(std::string_view target) {
    const Reply reply = send("GET", target);
    const std::vector<std::string> challenges = header_values(reply, "WWW-Authenticate");
    EXPECT_FALSE(challenges.empty());
    DigestInput input;
    input.uri = std::string(target);
    if (!challenges.empty()) {
      input.nonce = challenge_param(challenges.front(), "nonce");
      input.opaque = challenge_param(challenges.front(), "opaque");
    }
    return input;
  }

  // One request authenticated with `input`'s nonce (taken fresh when it has none).
  Reply send_authenticated(std::string_view method, std::string_view target, DigestInput input,
                           std::string body = {}) {
    if (input.nonce.empty()) {
      const DigestInput fresh = challenge_for(target);
      input.nonce = fresh.nonce;
      input.opaque = fresh.opaque;
    }
    if (input.uri.empty()) input.uri = std::string(target);
    return send(
        method, target, std::move(body),
        {{"Authorization", authorization(input, method)}, {"Content-Type", "application/json"}});
  }

  Reply put_as_1001(std::string body) {
    return send_authenticated("PUT", kPath1001, {}, std::move(body));
  }

  std::string stored_target(std::string_view number) {
    auto target = store_->unconditional_target(number);
    if (!target.ok()) return "<error> " + target.error();
    return target->value_or("<none>");
  }

  // curl --digest as the real peer; the password defaults to 1001's.
  CurlResult curl(std::string_view method, std::string_view path, std::string_view body = {},
                  std::string_view credentials = "1001:pw-1001") {
    const std::filesystem::path body_file = dir_ / "curl-body";
    const std::filesystem::path out_file = dir_ / "curl-out";
    const std::filesystem::path err_file = dir_ / "curl-err";
    std::filesystem::remove(body_file);
    std::vector<std::string> argv = {
        "curl",         "--silent",  "--show-error",           "--verbose",
        "--digest",     "--user",    std::string(credentials), "--max-time",
        "10",           "--output",  body_file.string(),       "--write-out",
        "%{http_code}", "--request", std::string(method)};
    if (!body.empty()) {
      argv.insert(argv.end(), {"--header", "Content-Type: application/json", "--data-binary",
                               std::string(body)});
    }
    argv.push_back(url(path));
    test::ChildOptions options;
    options.argv = argv;
    options.stdout_file = out_file;
    options.stderr_file = err_file;
    test::ChildProcess child(std::move(options));
    EXPECT_TRUE(child.started()) << child.error();
    const auto status = child.wait_for(std::chrono::seconds(15));
    EXPECT_TRUE(status && status->success())
        << child.command_line() << ": " << (status ? status->describe() : "still running") << "\n"
        << child.stderr_tail();
    CurlResult result;
    result.verbose = test::file_tail(err_file, std::size_t{64} * 1024);
    result.body = test::file_tail(body_file, std::size_t{64} * 1024);
    const std::string code = test::file_tail(out_file, 16);
    result.status = code.empty() ? 0 : std::stoi(code);
    return result;
  }

  test::TempDir dir_{"ut-api"};
  std::atomic<std::int64_t> clock_seconds_{1'700'000'000};
  std::unique_ptr<auth::UserDirectory> users_;
  std::unique_ptr<ForwardingStore> store_;
  std::unique_ptr<auth::DigestAuthenticator> authenticator_;
  http::test::IoThread io_;
  std::unique_ptr<http::HttpServer> server_;
};

// ---- a real peer: curl --digest ---------------------------------------------------------------

TEST_F(UtApiTest, CurlWithDigestSetsReadsReplacesAndClearsARule) {
  const CurlResult created = curl("PUT", kPath1001, R"({"target":"777"})");
  EXPECT_EQ(created.status, 201) << created.verbose;
  EXPECT_EQ(nlohmann::json::parse(created.body, nullptr, false),
            (nlohmann::json{{"target", "777"}}));
  EXPECT_EQ(stored_target("1001"), "777");

  const CurlResult read = curl("GET", kPath1001);
  EXPECT_EQ(read.status, 200) << read.verbose;
  EXPECT_EQ(nlohmann::json::parse(read.body, nullptr, false), (nlohmann::json{{"target", "777"}}));

  const CurlResult replaced = curl("PUT", kPath1001, R"({"target":"1002"})");
  EXPECT_EQ(replaced.status, 200) << replaced.verbose;
  EXPECT_EQ(stored_target("1001"), "1002");

  const CurlResult cleared = curl("DELETE", kPath1001);
  EXPECT_EQ(cleared.status, 204) << cleared.verbose;
  EXPECT_EQ(stored_target("1001"), "<none>");

  const CurlResult gone = curl("GET", kPath1001);
  EXPECT_EQ(gone.status, 404) << gone.verbose;
  EXPECT_EQ(nlohmann::json::parse(gone.body, nullptr, false).value("error", ""), "not_found");
}

// We offer SHA-256 first and MD5 second, each in its own header; curl takes the first Digest
// challenge it reads, so it answers with SHA-256.
TEST_F(UtApiTest, CurlAnswersTheSha256Challenge) {
  const CurlResult read = curl("GET", kPath1001);
  EXPECT_EQ(read.status, 404) << read.verbose;
  const std::size_t begin = read.verbose.find("> Authorization: Digest ");
  ASSERT_NE(begin, std::string::npos) << read.verbose;
  const std::string sent = read.verbose.substr(begin, read.verbose.find('\n', begin) - begin);
  EXPECT_THAT(sent, HasSubstr("username=\"1001\""));
  EXPECT_THAT(sent, HasSubstr("algorithm=SHA-256"));
  EXPECT_EQ(challenge_param(sent, "response").size(), 64U) << "a SHA-256 digest: " << sent;
}

// A refused password answers 401 again, and curl gives up after its one digest attempt: two
// requests in all, no loop.
TEST_F(UtApiTest, CurlWithWrongPasswordGets401WithoutLooping) {
  const CurlResult refused = curl("PUT", kPath1001, R"({"target":"777"})", "1001:not-the-password");
  EXPECT_EQ(refused.status, 401) << refused.verbose;
  EXPECT_EQ(nlohmann::json::parse(refused.body, nullptr, false).value("error", ""), "unauthorized");
  std::uint64_t requests = 0;
  io_.run_sync([&] { requests = server_->stats().requests; });
  EXPECT_EQ(requests, 2U);
  EXPECT_EQ(stored_target("1001"), "<none>");
}

// ---- authentication, by hand ------------------------------------------------------------------

TEST_F(UtApiTest, MissingAuthorizationGets401WithSha256AndMd5Challenges) {
  const Reply reply = send("GET", kPath1001);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.json().value("error", ""), "unauthorized");
  const std::vector<std::string> challenges = header_values(reply, "WWW-Authenticate");
  ASSERT_EQ(challenges.size(), 2U) << "one header per challenge";
  EXPECT_THAT(challenges[0], HasSubstr("algorithm=SHA-256"));
  EXPECT_THAT(challenges[1], HasSubstr("algorithm=MD5"));
  for (const std::string& challenge : challenges) {
    EXPECT_THAT(challenge, HasSubstr("Digest realm=\"callcast\""));
    EXPECT_FALSE(challenge_param(challenge, "nonce").empty());
    EXPECT_THAT(challenge, Not(HasSubstr("stale=true")));
  }
}

TEST_F(UtApiTest, NonDigestAuthorizationGets401) {
  const Reply reply =
      send("PUT", kPath1001, R"({"target":"777"})", {{"Authorization", "Basic MTAwMTpwdy0xMDAx"}});
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(header_values(reply, "WWW-Authenticate").size(), 2U);
  EXPECT_EQ(stored_target("1001"), "<none>");
}

TEST_F(UtApiTest, Sha256ResponseIsAccepted) {
  const Reply reply = put_as_1001(R"({"target":"777"})");
  EXPECT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(reply.header("Location"), kPath1001);
  EXPECT_EQ(stored_target("1001"), "777");
}

TEST_F(UtApiTest, Md5ResponseIsAccepted) {
  DigestInput input;
  input.algorithm = "MD5";
  const Reply reply = send_authenticated("PUT", kPath1001, input, R"({"target":"777"})");
  EXPECT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(stored_target("1001"), "777");
}

TEST_F(UtApiTest, WrongPasswordGets401WithFreshChallenges) {
  DigestInput input;
  input.password = "wrong";
  const Reply reply = send_authenticated("PUT", kPath1001, input, R"({"target":"777"})");
  EXPECT_EQ(reply.status, 401);
  EXPECT_THAT(reply.json().value("message", ""), HasSubstr("wrong user name or password"));
  const std::vector<std::string> challenges = header_values(reply, "WWW-Authenticate");
  ASSERT_EQ(challenges.size(), 2U);
  EXPECT_THAT(challenges[0], Not(HasSubstr("stale=true")));
  EXPECT_EQ(stored_target("1001"), "<none>");
}

TEST_F(UtApiTest, UnknownUserIsRefusedLikeAWrongPassword) {
  DigestInput input;
  input.user = "1009";
  input.password = "pw-1009";
  const Reply reply =
      send_authenticated("GET", "/ut/v1/users/1009/forwarding/unconditional", input);
  EXPECT_EQ(reply.status, 401);
  EXPECT_THAT(reply.json().value("message", ""), HasSubstr("wrong user name or password"));
}

TEST_F(UtApiTest, AnotherUsersRulesAreForbidden) {
  ASSERT_TRUE(store_->set_unconditional("1002", "777").ok());
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    const Reply reply = send_authenticated(method, kPath1002, {}, R"({"target":"1001"})");
    EXPECT_EQ(reply.status, 403) << method;
    EXPECT_EQ(reply.json().value("error", ""), "forbidden") << method;
    EXPECT_THAT(reply.json().value("message", ""), HasSubstr("its own rules")) << method;
  }
  EXPECT_EQ(stored_target("1002"), "777");
}

TEST_F(UtApiTest, StaleNonceGets401WithStaleTrueAndTheNewNonceWorks) {
  DigestInput old_nonce = challenge_for(kPath1001);
  advance_clock(std::chrono::seconds(301));  // past the 300 s nonce_ttl
  const Reply stale = send_authenticated("PUT", kPath1001, old_nonce, R"({"target":"777"})");
  EXPECT_EQ(stale.status, 401);
  const std::vector<std::string> challenges = header_values(stale, "WWW-Authenticate");
  ASSERT_EQ(challenges.size(), 2U);
  for (const std::string& challenge : challenges) {
    EXPECT_THAT(challenge, HasSubstr("stale=true"));
  }
  EXPECT_EQ(stored_target("1001"), "<none>");

  DigestInput renewed;
  renewed.nonce = challenge_param(challenges.front(), "nonce");
  renewed.opaque = challenge_param(challenges.front(), "opaque");
  EXPECT_NE(renewed.nonce, old_nonce.nonce);
  const Reply retried = send_authenticated("PUT", kPath1001, renewed, R"({"target":"777"})");
  EXPECT_EQ(retried.status, 201) << retried.body;
}

// Credentials computed for one resource must not open another, even the user's own.
TEST_F(UtApiTest, DigestUriMustBeTheRequestTarget) {
  DigestInput input = challenge_for(kPath1001);
  input.uri = "/ut/v1/users/1001/forwarding/other";
  const Reply reply = send_authenticated("PUT", kPath1001, input, R"({"target":"777"})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.json().value("message", ""), HasSubstr("is not the request target"));
  EXPECT_EQ(stored_target("1001"), "<none>");
}

// ---- the rule ---------------------------------------------------------------------------------

TEST_F(UtApiTest, GetWithoutRuleIs404AndDeleteIsIdempotent) {
  const Reply missing = send_authenticated("GET", kPath1001, {});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json().value("error", ""), "not_found");
  EXPECT_EQ(send_authenticated("DELETE", kPath1001, {}).status, 204);
  EXPECT_EQ(send_authenticated("DELETE", kPath1001, {}).status, 204);
}

TEST_F(UtApiTest, PutRejectsBodiesThatAreNotJsonObjects) {
  for (const char* body : {"", "{\"target\":", "[\"777\"]", "\"777\""}) {
    const Reply reply = put_as_1001(body);
    EXPECT_EQ(reply.status, 400) << body;
    EXPECT_EQ(reply.json().value("error", ""), "bad_request") << body;
    EXPECT_THAT(reply.json().value("message", ""), HasSubstr(R"({"target":"<number>"})")) << body;
  }
  EXPECT_EQ(stored_target("1001"), "<none>");
}

TEST_F(UtApiTest, PutRejectsUnknownMembers) {
  const Reply reply = put_as_1001(R"({"target":"777","condition":"busy"})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.json().value("message", ""), HasSubstr("unknown member \"condition\""));
  EXPECT_EQ(stored_target("1001"), "<none>");
}

TEST_F(UtApiTest, PutRejectsAMissingOrInvalidTarget) {
  const struct {
    const char* body;
    const char* says;
  } cases[] = {
      {"{}", "\"target\" is required"},
      {R"({"target":777})", "must be a string"},
      {R"({"target":""})", "not a valid number"},
      {R"({"target":"sip:777@callcast"})", "not a valid number"},
  };
  for (const auto& c : cases) {
    const Reply reply = put_as_1001(c.body);
    EXPECT_EQ(reply.status, 400) << c.body;
    EXPECT_THAT(reply.json().value("message", ""), HasSubstr(c.says)) << c.body;
  }
  EXPECT_EQ(stored_target("1001"), "<none>");
}

TEST_F(UtApiTest, PutRejectsForwardingToItself) {
  const Reply reply = put_as_1001(R"({"target":"1001"})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.json().value("message", ""), HasSubstr("to itself"));
  EXPECT_EQ(stored_target("1001"), "<none>");
}

TEST_F(UtApiTest, PutReplacingARuleAnswers200) {
  ASSERT_EQ(put_as_1001(R"({"target":"777"})").status, 201);
  const Reply replaced = put_as_1001(R"({"target":"1002"})");
  EXPECT_EQ(replaced.status, 200);
  EXPECT_EQ(replaced.json(), (nlohmann::json{{"target", "1002"}}));
  EXPECT_EQ(stored_target("1001"), "1002");
}

// Another process holds the database's write lock past the busy timeout.
TEST_F(UtApiTest, StoreFailureAnswers500) {
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_file().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const Reply reply = put_as_1001(R"({"target":"777"})");
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.json().value("error", ""), "internal_error");
  EXPECT_THAT(reply.json().value("message", ""), HasSubstr("forwarding store failed"));
  EXPECT_EQ(stored_target("1001"), "<none>");
}

}  // namespace
}  // namespace callcast::forwarding::ut_api_test
