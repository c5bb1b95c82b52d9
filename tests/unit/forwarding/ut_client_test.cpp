// The terminal's Ut client against the real server side (UtApi on an HttpServer, 127.0.0.1,
// OS-chosen port), and against raw sockets that misbehave: silent, garbage, huge, stale.
// Every call is bounded by the client's own timeout, which the tests keep short.
#include "forwarding/ut_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/user_directory.hpp"
#include "forwarding/ut_api.hpp"
#include "http/beast.hpp"
// Asio's scheduler trips GCC 12's -Wnull-dereference once inlined (see http/beast.hpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include "support/temp_dir.hpp"
#include "unit/http/io_thread.hpp"

namespace callcast::forwarding::ut_client_test {
namespace {

namespace asio = http::asio;
using http::tcp;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

constexpr const char* kRealm = "callcast";
constexpr const char* kMaster = "13800000001";
constexpr const char* kPassword = "pw-master";
constexpr const char* kServiceNumber = "777";
constexpr auto kShortTimeout = std::chrono::milliseconds(400);

// Hex digest computed with OpenSSL, independently of callcast_auth.
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

// A parameter of an Authorization value, quoted or not; "" when absent.
std::string auth_param(std::string_view header, std::string_view name) {
  const std::string key = ", " + std::string(name) + "=";
  std::size_t begin = header.find(key);
  if (begin == std::string_view::npos) {
    const std::string first = "Digest " + std::string(name) + "=";
    if (header.substr(0, first.size()) != first) return {};
    begin = first.size() - key.size();
  }
  std::size_t value = begin + key.size();
  if (value < header.size() && header[value] == '"') {
    ++value;
    return std::string(header.substr(value, header.find('"', value) - value));
  }
  return std::string(header.substr(value, header.find(',', value) - value));
}

// The Authorization header line of a raw request head, without the name; "" when absent.
std::string authorization_of(std::string_view head) {
  constexpr std::string_view name = "\r\nAuthorization: ";
  const std::size_t begin = head.find(name);
  if (begin == std::string_view::npos) return {};
  const std::size_t value = begin + name.size();
  return std::string(head.substr(value, head.find("\r\n", value) - value));
}

std::chrono::milliseconds elapsed_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// A TCP server on 127.0.0.1 that knows no HTTP: it reads a request head from the n-th
// connection and answers it with the n-th canned reply (the last one again for later
// connections). An empty reply, or no replies at all, means: read and never answer.
class RawServer {
 public:
  explicit RawServer(std::vector<std::string> replies)
      : replies_(std::move(replies)), acceptor_(io_.io()) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    accept();
    io_.start();
  }
  ~RawServer() {
    io_.run_sync([this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (const auto& connection : connections_)
        connection->socket.close(ignored);
    });
    io_.join();
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

  // The request heads received so far, in order.
  std::vector<std::string> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    asio::streambuf buffer;
    std::string reply;
  };

  void accept() {
    auto connection = std::make_shared<Connection>(io_.io());
    acceptor_.async_accept(connection->socket, [this, connection](boost::system::error_code ec) {
      if (ec) return;
      // Kept open until the server goes: a close with unread bytes would reset the connection
      // before the client has read the reply.
      connections_.push_back(connection);
      const std::size_t index = connections_.size() - 1;
      answer(connection,
             replies_.empty() ? std::string() : replies_[std::min(index, replies_.size() - 1)]);
      accept();
    });
  }

  void answer(const std::shared_ptr<Connection>& connection, std::string reply) {
    connection->reply = std::move(reply);
    asio::async_read_until(
        connection->socket, connection->buffer, "\r\n\r\n",
        [this, connection](boost::system::error_code ec, std::size_t size) {
          if (ec) return;
          {
            const std::lock_guard lock(mutex_);
            const auto data = connection->buffer.data();
            requests_.emplace_back(asio::buffers_begin(data),
                                   asio::buffers_begin(data) + static_cast<std::ptrdiff_t>(size));
          }
          if (connection->reply.empty()) return;
          asio::async_write(connection->socket, asio::buffer(connection->reply),
                            [connection](boost::system::error_code write_ec, std::size_t) {
                              if (write_ec) return;
                              boost::system::error_code ignored;
                              connection->socket.shutdown(tcp::socket::shutdown_send, ignored);
                            });
        });
  }

  std::vector<std::string> replies_;
  http::test::IoThread io_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Connection>> connections_;  // io thread only
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
};

std::string unauthorized(std::string_view challenges_lines) {
  return "HTTP/1.1 401 Unauthorized\r\n" + std::string(challenges_lines) +
         "Content-Length: 0\r\nConnection: close\r\n\r\n";
}

const std::string kNoContent = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";

UtClient client_for(std::string url, std::string number = kMaster, std::string password = kPassword,
                    std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  auto client = UtClient::create({std::move(url), std::move(number), std::move(password), timeout});
  EXPECT_TRUE(client.ok()) << client.error();
  return std::move(client).value();
}

// ---- against the real server side ----------------------------------------------------------

class UtClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(auth::add_user(dir_ / "users", kRealm, kMaster, kPassword).ok());
    ASSERT_TRUE(auth::add_user(dir_ / "users", kRealm, "13800000002", "pw-other").ok());
    users_ = std::make_unique<auth::UserDirectory>(dir_ / "users", kRealm);
    auto loaded = users_->load();
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    auto store = ForwardingStore::open(dir_ / "forwarding.sqlite");
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(store).value();
  }

  // The server offers `algorithms` in that order (UtApi's default: SHA-256, then MD5).
  void start_server(std::vector<auth::DigestAlgorithm> algorithms = {auth::DigestAlgorithm::sha256,
                                                                     auth::DigestAlgorithm::md5}) {
    authenticator_ = std::make_unique<auth::DigestAuthenticator>(kRealm, "ut-client-test",
                                                                 std::chrono::seconds(300));
    authenticator_->set_algorithms(std::move(algorithms));
    server_ = std::make_unique<http::HttpServer>(io_.io());
    UtApi api(*server_, *store_, *users_, *authenticator_);
    server_->set_filter([this](const http::Request& request) -> std::optional<http::Response> {
      const std::lock_guard lock(mutex_);
      received_.push_back(std::string(request.header("Authorization").value_or("")));
      return std::nullopt;
    });
    const auto listening = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(listening.ok()) << listening.error();
    io_.start();
  }

  void TearDown() override {
    if (!server_) return;
    io_.run_sync([this] { server_->stop(); });
    io_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  // The Authorization values the server received, "" for requests without one.
  std::vector<std::string> received() {
    const std::lock_guard lock(mutex_);
    return received_;
  }

  std::string stored_target(std::string_view number) {
    auto target = store_->unconditional_target(number);
    if (!target.ok()) return "<error> " + target.error();
    return target->value_or("<none>");
  }

  test::TempDir dir_{"ut-client"};
  std::unique_ptr<auth::UserDirectory> users_;
  std::unique_ptr<ForwardingStore> store_;
  std::unique_ptr<auth::DigestAuthenticator> authenticator_;
  http::test::IoThread io_;
  std::unique_ptr<http::HttpServer> server_;
  std::mutex mutex_;
  std::vector<std::string> received_;
};

TEST_F(UtClientTest, SetReadClearAndReadAgain) {
  start_server();
  UtClient client = client_for(url());

  const auto set = client.set_unconditional(kServiceNumber);
  ASSERT_TRUE(set.ok()) << set.error();
  EXPECT_EQ(stored_target(kMaster), kServiceNumber);

  const auto read = client.unconditional();
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, std::optional<std::string>(kServiceNumber));

  const auto cleared = client.clear_unconditional();
  ASSERT_TRUE(cleared.ok()) << cleared.error();
  EXPECT_EQ(stored_target(kMaster), "<none>");

  const auto gone = client.unconditional();
  ASSERT_TRUE(gone.ok()) << gone.error();
  EXPECT_EQ(*gone, std::nullopt);
}

TEST_F(UtClientTest, HostNameIsResolved) {
  start_server();
  UtClient client = client_for("http://localhost:" + std::to_string(server_->port()));
  const auto read = client.unconditional();
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, std::nullopt);
}

TEST_F(UtClientTest, SetReplacesAnExistingRule) {
  start_server();
  ASSERT_TRUE(store_->set_unconditional(kMaster, "13800000002").ok());
  UtClient client = client_for(url());
  const auto set = client.set_unconditional(kServiceNumber);
  ASSERT_TRUE(set.ok()) << set.error();
  EXPECT_EQ(stored_target(kMaster), kServiceNumber);
}

TEST_F(UtClientTest, ClearingAnAbsentRuleIsNotAnError) {
  start_server();
  UtClient client = client_for(url());
  const auto cleared = client.clear_unconditional();
  EXPECT_TRUE(cleared.ok()) << cleared.error();
}

// One challenge round trip per call: the unauthenticated request, then the answered one.
TEST_F(UtClientTest, EachCallIsOneChallengeAndOneAnsweredRequest) {
  start_server();
  UtClient client = client_for(url());
  ASSERT_TRUE(client.set_unconditional(kServiceNumber).ok());
  const std::vector<std::string> authorizations = received();
  ASSERT_EQ(authorizations.size(), 2U);
  EXPECT_EQ(authorizations[0], "");
  EXPECT_THAT(authorizations[1], StartsWith("Digest "));
}

TEST_F(UtClientTest, Sha256IsChosenWhenOffered) {
  start_server();
  UtClient client = client_for(url());
  ASSERT_TRUE(client.unconditional().ok());
  const std::vector<std::string> authorizations = received();
  ASSERT_EQ(authorizations.size(), 2U);
  const std::string& sent = authorizations[1];
  EXPECT_EQ(auth_param(sent, "username"), kMaster) << sent;
  EXPECT_EQ(auth_param(sent, "realm"), kRealm) << sent;
  EXPECT_EQ(auth_param(sent, "uri"), "/ut/v1/users/13800000001/forwarding/unconditional") << sent;
  EXPECT_EQ(auth_param(sent, "algorithm"), "SHA-256") << sent;
  EXPECT_THAT(auth_param(sent, "response"), MatchesRegex("[0-9a-f]{64}")) << sent;
  EXPECT_EQ(auth_param(sent, "qop"), "auth") << sent;
  EXPECT_EQ(auth_param(sent, "nc"), "00000001") << sent;
  EXPECT_THAT(auth_param(sent, "cnonce"), MatchesRegex("[0-9a-f]{16}")) << sent;
}

TEST_F(UtClientTest, Md5IsChosenWhenOnlyMd5IsOffered) {
  start_server({auth::DigestAlgorithm::md5});
  UtClient client = client_for(url());
  const auto set = client.set_unconditional(kServiceNumber);
  ASSERT_TRUE(set.ok()) << set.error();
  EXPECT_EQ(stored_target(kMaster), kServiceNumber);
  const std::vector<std::string> authorizations = received();
  ASSERT_EQ(authorizations.size(), 2U);
  EXPECT_EQ(auth_param(authorizations[1], "algorithm"), "MD5") << authorizations[1];
  EXPECT_THAT(auth_param(authorizations[1], "response"), MatchesRegex("[0-9a-f]{32}"));
}

TEST_F(UtClientTest, EveryCallHasAFreshCnonce) {
  start_server();
  UtClient client = client_for(url());
  ASSERT_TRUE(client.unconditional().ok());
  ASSERT_TRUE(client.unconditional().ok());
  const std::vector<std::string> authorizations = received();
  ASSERT_EQ(authorizations.size(), 4U);
  EXPECT_NE(auth_param(authorizations[1], "cnonce"), auth_param(authorizations[3], "cnonce"));
}

// The server refuses a wrong password with a second 401 (ut_api.hpp says why not 403); the
// client gives up after it instead of looping.
TEST_F(UtClientTest, WrongPasswordIsOneClearErrorAfterTwoRequests) {
  start_server();
  UtClient client = client_for(url(), kMaster, "not-the-password");
  const auto set = client.set_unconditional(kServiceNumber);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error(),
            "Ut: wrong password for 13800000001, or no such user (401 from " + url() + ")");
  EXPECT_EQ(received().size(), 2U);
  EXPECT_EQ(stored_target(kMaster), "<none>");
}

TEST_F(UtClientTest, UnknownUserIsRefusedLikeAWrongPassword) {
  start_server();
  UtClient client = client_for(url(), "13800000009", "pw-nobody");
  const auto read = client.unconditional();
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error(), StartsWith("Ut: wrong password for 13800000009, or no such user"));
}

TEST_F(UtClientTest, ServersRefusalOfTheTargetIsReportedWithItsMessage) {
  start_server();
  UtClient client = client_for(url());
  const auto set = client.set_unconditional(kMaster);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.error(),
              AllOf(StartsWith("Ut: 400 Bad Request from " + url()), HasSubstr("to itself")));
  EXPECT_THAT(set.error(), Not(HasSubstr("\n")));
}

// ---- no server, or one that misbehaves ---------------------------------------------------------

TEST(UtClientCreate, RejectsBadUrlsAndNumbers) {
  const struct {
    UtClientOptions options;
    const char* says;
  } cases[] = {
      {{"https://127.0.0.1:8080", kMaster, kPassword, kShortTimeout}, "https is not supported"},
      {{"http://127.0.0.1:8080/ut", kMaster, kPassword, kShortTimeout}, "without user, path"},
      {{"http://127.0.0.1", kMaster, kPassword, kShortTimeout}, "Ut server URL"},
      {{"http://127.0.0.1:8080", "1380/../x", kPassword, kShortTimeout}, "not a valid number"},
      {{"http://127.0.0.1:8080", "", kPassword, kShortTimeout}, "not a valid number"},
      {{"http://127.0.0.1:8080", kMaster, kPassword, std::chrono::milliseconds(0)},
       "timeout must be positive"},
  };
  for (const auto& c : cases) {
    const auto client = UtClient::create(c.options);
    ASSERT_FALSE(client.ok()) << c.options.base_url << " " << c.options.number;
    EXPECT_THAT(client.error(), HasSubstr(c.says));
  }
  const auto good = UtClient::create({"http://127.0.0.1:8080/", kMaster, kPassword, kShortTimeout});
  ASSERT_TRUE(good.ok()) << good.error();
  EXPECT_EQ(good->base_url(), "http://127.0.0.1:8080");
}

TEST(UtClientFailures, ServerNotListeningIsUnreachableAtOnce) {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  UtClient client = client_for(url);
  const auto start = Clock::now();
  const auto set = client.set_unconditional(kServiceNumber);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error(), "Ut server " + url + " unreachable: Connection refused");
  EXPECT_LT(elapsed_since(start), std::chrono::seconds(1));
}

TEST(UtClientFailures, SilentServerTimesOutWithinTheBound) {
  RawServer silent({});
  UtClient client = client_for(silent.url(), kMaster, kPassword, kShortTimeout);
  const auto start = Clock::now();
  const auto read = client.unconditional();
  const auto took = elapsed_since(start);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error(), "Ut server " + silent.url() + " did not answer within 400 ms");
  EXPECT_GE(took, kShortTimeout);
  EXPECT_LT(took, kShortTimeout + std::chrono::milliseconds(600)) << took.count() << " ms";
}

// The bound covers the whole call: a challenge that comes at once followed by silence still
// ends within it.
TEST(UtClientFailures, TimeoutCoversTheChallengeRoundTrip) {
  RawServer server({unauthorized("WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
                                 "algorithm=MD5, qop=\"auth\"\r\n"),
                    ""});
  UtClient client = client_for(server.url(), kMaster, kPassword, kShortTimeout);
  const auto start = Clock::now();
  const auto read = client.unconditional();
  const auto took = elapsed_since(start);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error(), HasSubstr("did not answer within 400 ms"));
  EXPECT_LT(took, kShortTimeout + std::chrono::milliseconds(600)) << took.count() << " ms";
  EXPECT_EQ(server.requests().size(), 2U);
}

TEST(UtClientFailures, GarbageChallengeIsAClearError) {
  RawServer server({unauthorized("WWW-Authenticate: Digest garbage,,, \"\r\n")});
  UtClient client = client_for(server.url());
  const auto set = client.set_unconditional(kServiceNumber);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.error(), AllOf(StartsWith("Ut server " + server.url() +
                                            " answered 401 without a digest "
                                            "challenge we can answer"),
                                 HasSubstr("Digest garbage")));
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST(UtClientFailures, UnauthorizedWithoutChallengeIsAClearError) {
  RawServer server({unauthorized("")});
  UtClient client = client_for(server.url());
  const auto cleared = client.clear_unconditional();
  ASSERT_FALSE(cleared.ok());
  EXPECT_THAT(cleared.error(), HasSubstr("without a digest challenge we can answer"));
  EXPECT_THAT(cleared.error(), HasSubstr("no WWW-Authenticate"));
}

TEST(UtClientFailures, OnlyUnsupportedChallengesIsAClearError) {
  RawServer server({unauthorized(
      "WWW-Authenticate: Basic realm=\"r\"\r\n"
      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256, qop=auth\r\n")});
  UtClient client = client_for(server.url());
  const auto read = client.unconditional();
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error(), HasSubstr("without a digest challenge we can answer"));
}

TEST(UtClientFailures, ReplyThatIsNotHttpIsAClearError) {
  RawServer server({"SIP/2.0 200 OK\r\n\r\n"});
  UtClient client = client_for(server.url());
  const auto read = client.unconditional();
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error(),
              StartsWith("Ut server " + server.url() + " sent no valid HTTP response: "));
}

TEST(UtClientFailures, HugeBodyIsAnErrorNotAnAllocation) {
  RawServer server(
      {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
       "Content-Length: 1000000000\r\n\r\n{\"target\":\"" +
       std::string(1000, '7')});
  UtClient client = client_for(server.url(), kMaster, kPassword, kShortTimeout);
  const auto read = client.unconditional();
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error(), "Ut server " + server.url() + " sent a response body over 65536 bytes");
}

TEST(UtClientFailures, HugeChunkedBodyIsAnError) {
  RawServer server(
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "100000\r\n" +
       std::string(70'000, '7')});
  UtClient client = client_for(server.url(), kMaster, kPassword, kShortTimeout);
  const auto read = client.unconditional();
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error(), "Ut server " + server.url() + " sent a response body over 65536 bytes");
}

TEST(UtClientFailures, RuleThatIsNotJsonIsAClearError) {
  RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n<target/>"});
  UtClient client = client_for(server.url());
  const auto read = client.unconditional();
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error(), HasSubstr("sent a rule that is not {\"target\":\"<number>\"}"));
}

// A 404 before any challenge means no Ut API at that address, not "no rule".
TEST(UtClientFailures, NotFoundWithoutChallengeIsNotAnAbsentRule) {
  RawServer server({"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"});
  UtClient client = client_for(server.url());
  const auto read = client.unconditional();
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error(), HasSubstr("no Ut API there?"));
  EXPECT_FALSE(client.clear_unconditional().ok());
}

// ---- challenges of other shapes, checked against an independent digest ------------------------

// Two challenges folded into one header behind a Basic one; the MD5 answer is recomputed here
// with OpenSSL from the values the client sent.
TEST(UtClientChallenges, AnswersMd5ChallengeFoldedAmongOthers) {
  RawServer server(
      {unauthorized("WWW-Authenticate: Basic realm=\"other\", Digest realm=\"a, \\\"b\\\"\", "
                    "nonce=\"n,1\", algorithm=MD5, qop=\"auth,auth-int\", opaque=\"op\"\r\n"),
       kNoContent});
  UtClient client = client_for(server.url());
  const auto cleared = client.clear_unconditional();
  ASSERT_TRUE(cleared.ok()) << cleared.error();

  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(authorization_of(requests[0]), "");
  const std::string sent = authorization_of(requests[1]);
  EXPECT_THAT(sent, HasSubstr("realm=\"a, \\\"b\\\"\"")) << "re-quoted as received";
  EXPECT_EQ(auth_param(sent, "nonce"), "n,1");
  EXPECT_EQ(auth_param(sent, "opaque"), "op");
  EXPECT_EQ(auth_param(sent, "algorithm"), "MD5");
  const std::string uri = "/ut/v1/users/13800000001/forwarding/unconditional";
  const std::string ha1 = hex_digest(EVP_md5(), std::string(kMaster) + ":a, \"b\":" + kPassword);
  const std::string ha2 = hex_digest(EVP_md5(), "DELETE:" + uri);
  const std::string expected =
      hex_digest(EVP_md5(), ha1 + ":n,1:00000001:" + auth_param(sent, "cnonce") + ":auth:" + ha2);
  EXPECT_EQ(auth_param(sent, "response"), expected) << sent;
}

// RFC 2069 servers offer no qop: the answer then has no qop, nc or cnonce.
TEST(UtClientChallenges, AnswersChallengeWithoutQopInRfc2069Form) {
  RawServer server(
      {unauthorized("WWW-Authenticate: Digest realm=\"r\", nonce=\"old\"\r\n"), kNoContent});
  UtClient client = client_for(server.url());
  ASSERT_TRUE(client.clear_unconditional().ok());
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  const std::string sent = authorization_of(requests[1]);
  EXPECT_THAT(sent,
              AllOf(Not(HasSubstr("qop=")), Not(HasSubstr("cnonce=")), Not(HasSubstr("nc="))));
  const std::string ha1 = hex_digest(EVP_md5(), std::string(kMaster) + ":r:" + kPassword);
  const std::string ha2 =
      hex_digest(EVP_md5(), "DELETE:/ut/v1/users/13800000001/forwarding/unconditional");
  EXPECT_EQ(auth_param(sent, "response"), hex_digest(EVP_md5(), ha1 + ":old:" + ha2));
}

TEST(UtClientChallenges, StaleNonceIsRetriedOnceWithTheNewNonce) {
  RawServer server({unauthorized("WWW-Authenticate: Digest realm=\"r\", nonce=\"first\", "
                                 "algorithm=SHA-256, qop=\"auth\"\r\n"),
                    unauthorized("WWW-Authenticate: Digest realm=\"r\", nonce=\"second\", "
                                 "algorithm=SHA-256, qop=\"auth\", stale=true\r\n"),
                    kNoContent});
  UtClient client = client_for(server.url());
  const auto cleared = client.clear_unconditional();
  ASSERT_TRUE(cleared.ok()) << cleared.error();
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(auth_param(authorization_of(requests[1]), "nonce"), "first");
  EXPECT_EQ(auth_param(authorization_of(requests[2]), "nonce"), "second");
}

TEST(UtClientChallenges, StaleForeverEndsAfterOneRetry) {
  RawServer server(
      {unauthorized("WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", "
                    "algorithm=MD5, qop=\"auth\", stale=true\r\n")});
  UtClient client = client_for(server.url());
  const auto cleared = client.clear_unconditional();
  ASSERT_FALSE(cleared.ok());
  EXPECT_THAT(cleared.error(), StartsWith("Ut: wrong password for 13800000001"));
  EXPECT_EQ(server.requests().size(), 3U);
}

// A CR or LF smuggled into the nonce must not reach our request as a header line.
TEST(UtClientChallenges, ChallengeThatWouldInjectHeadersIsRefused) {
  RawServer server(
      {unauthorized("WWW-Authenticate: Digest realm=\"r\", nonce=\"a\rX-Evil: 1\"\r\n"),
       kNoContent});
  UtClient client = client_for(server.url());
  const auto cleared = client.clear_unconditional();
  EXPECT_FALSE(cleared.ok());
  for (const std::string& request : server.requests()) {
    EXPECT_THAT(request, Not(HasSubstr("X-Evil")));
  }
}

}  // namespace
}  // namespace callcast::forwarding::ut_client_test
