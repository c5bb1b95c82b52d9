#include "ice/ice_lite_session.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "ice/stun_endpoint.hpp"

namespace callcast::ice::ice_lite_session_test {
namespace {

using Bytes = std::vector<std::uint8_t>;
using boost::asio::ip::make_address;
using boost::asio::ip::udp;
using Clock = IceLiteSession::Clock;
using namespace std::chrono_literals;

const IceCredentials kServer = {"srv1UFRG", "server-password-24-chars"};
const std::string kBrowserUfrag = "brWs";
const std::string kBrowserPassword = "browser-password-22chr";
const udp::endpoint kBrowserV4(make_address("192.0.2.7"), 50123);
const udp::endpoint kBrowserV6(make_address("2001:db8::1234"), 61000);

// The test plays the browser: a full, controlling agent (RFC 8445 §7.2.2).
class IceLiteSessionTest : public ::testing::Test {
 protected:
  BindingRequestOptions browser_check() const {
    BindingRequestOptions options;
    options.username = kServer.ufrag + ":" + kBrowserUfrag;
    options.password = kServer.password;
    options.priority = 0x6e7f1eff;
    options.ice_controlling = 0x1122334455667788;
    options.transaction = random_transaction_id();
    return options;
  }

  BindingRequestOptions nomination() const {
    BindingRequestOptions options = browser_check();
    options.use_candidate = true;
    return options;
  }

  IceReply receive(const Bytes& raw, const udp::endpoint& from, Clock::time_point now) {
    auto message = parse_stun(raw);
    EXPECT_TRUE(message.ok()) << message.error();
    if (!message.ok()) return {};
    last_request_ = *message;
    return session_.on_binding_request(raw, *message, from, now);
  }

  IceReply receive(const BindingRequestOptions& options, const udp::endpoint& from,
                   Clock::time_point now) {
    return receive(binding_request(options), from, now);
  }

  // The response parsed, checked to answer the last request and to carry FINGERPRINT.
  StunMessage response_of(const IceReply& reply) {
    auto message = parse_stun(reply.response);
    EXPECT_TRUE(message.ok()) << message.error();
    if (!message.ok()) return {};
    EXPECT_EQ(message->transaction, last_request_.transaction);
    EXPECT_TRUE(check_fingerprint(reply.response, *message));
    return *message;
  }

  // An error response: its code, and whether it is keyed with the server's password.
  void expect_error(const IceReply& reply, int code, bool keyed) {
    EXPECT_FALSE(reply.valid);
    EXPECT_FALSE(reply.nominated);
    EXPECT_FALSE(reply.error.empty());
    const StunMessage response = response_of(reply);
    EXPECT_TRUE(response.is_binding_error());
    ASSERT_TRUE(response.error);
    EXPECT_EQ(response.error->code, code);
    if (keyed) {
      EXPECT_TRUE(check_message_integrity(reply.response, response, kServer.password));
    } else {
      EXPECT_EQ(response.integrity_offset, 0u);
    }
  }

  Bytes request_without(bool username, bool integrity, bool priority) const {
    StunBuilder builder(kBindingRequest, random_transaction_id());
    if (username) builder.add_username(kServer.ufrag + ":" + kBrowserUfrag);
    if (priority) builder.add_priority(1);
    builder.add_ice_controlling(7);
    return builder.finish(
        integrity ? std::optional<std::string_view>(kServer.password) : std::nullopt, true);
  }

  const Clock::time_point start_ = Clock::time_point() + 1000h;
  IceLiteSession session_{kServer, kBrowserUfrag, kBrowserPassword, start_};
  StunMessage last_request_;
};

TEST_F(IceLiteSessionTest, ValidCheckIsAnsweredWithTheSourceAsXorMappedAddress) {
  for (const udp::endpoint& from : {kBrowserV4, kBrowserV6}) {
    const IceReply reply = receive(browser_check(), from, start_);
    EXPECT_TRUE(reply.valid);
    EXPECT_FALSE(reply.nominated);
    EXPECT_TRUE(reply.error.empty()) << reply.error;
    const StunMessage response = response_of(reply);
    EXPECT_TRUE(response.is_binding_success());
    EXPECT_TRUE(check_message_integrity(reply.response, response, kServer.password));
    EXPECT_FALSE(check_message_integrity(reply.response, response, kBrowserPassword));
    ASSERT_TRUE(response.xor_mapped_address);
    EXPECT_EQ(to_endpoint(*response.xor_mapped_address), from);
  }
  EXPECT_FALSE(session_.selected());
}

TEST_F(IceLiteSessionTest, V4MappedSourceIsReportedAsIpv4) {
  const udp::endpoint mapped(make_address("::ffff:192.0.2.7"), 50123);
  const IceReply reply = receive(browser_check(), mapped, start_);
  const StunMessage response = response_of(reply);
  ASSERT_TRUE(response.xor_mapped_address);
  EXPECT_FALSE(response.xor_mapped_address->ipv6);
  EXPECT_EQ(to_endpoint(*response.xor_mapped_address), kBrowserV4);
}

TEST_F(IceLiteSessionTest, UseCandidateSelectsTheSource) {
  const IceReply reply = receive(nomination(), kBrowserV4, start_);
  EXPECT_TRUE(reply.valid);
  EXPECT_TRUE(reply.nominated);
  EXPECT_EQ(session_.selected(), kBrowserV4);
}

TEST_F(IceLiteSessionTest, LaterNominationReplacesTheSelectedAddress) {
  (void)receive(nomination(), kBrowserV4, start_);
  // A plain check from elsewhere does not move the media.
  (void)receive(browser_check(), kBrowserV6, start_ + 1s);
  EXPECT_EQ(session_.selected(), kBrowserV4);
  const IceReply reply = receive(nomination(), kBrowserV6, start_ + 2s);
  EXPECT_TRUE(reply.nominated);
  EXPECT_EQ(session_.selected(), kBrowserV6);
}

TEST_F(IceLiteSessionTest, WrongUsernameIs401WithoutIntegrity) {
  for (const std::string& username :
       {std::string("other:") + kBrowserUfrag, kServer.ufrag + ":other", kServer.ufrag,
        kBrowserUfrag + ":" + kServer.ufrag, kServer.ufrag + ":" + kBrowserUfrag + "x"}) {
    BindingRequestOptions options = nomination();
    options.username = username;
    expect_error(receive(options, kBrowserV4, start_), 401, false);
  }
  EXPECT_FALSE(session_.selected());
}

TEST_F(IceLiteSessionTest, WrongUsernameIsEscapedInTheErrorText) {
  // The error text goes to logs: the peer's bytes must not start a new line or forge one.
  BindingRequestOptions options = browser_check();
  options.username = "x\nforged log line\\" + std::string(100, 'u');
  const IceReply reply = receive(options, kBrowserV4, start_);
  EXPECT_EQ(reply.error.find('\n'), std::string::npos);
  EXPECT_NE(reply.error.find("x\\x0aforged log line\\x5c"), std::string::npos) << reply.error;
  EXPECT_NE(reply.error.find("u..."), std::string::npos) << reply.error;
  EXPECT_EQ(reply.error.find(std::string(64, 'u')), std::string::npos);
}

TEST_F(IceLiteSessionTest, IntegrityUnderAnotherKeyIs401WithoutIntegrity) {
  BindingRequestOptions options = nomination();
  options.password = kBrowserPassword;  // the browser keyed with its own password: wrong
  const IceReply reply = receive(options, kBrowserV4, start_);
  expect_error(reply, 401, false);
  EXPECT_NE(reply.error.find("MESSAGE-INTEGRITY"), std::string::npos);
  EXPECT_FALSE(session_.selected());
}

TEST_F(IceLiteSessionTest, MissingUsernameOrIntegrityIs400WithoutIntegrity) {
  const IceReply no_username = receive(request_without(false, true, true), kBrowserV4, start_);
  expect_error(no_username, 400, false);
  EXPECT_NE(no_username.error.find("USERNAME"), std::string::npos);
  const IceReply no_integrity = receive(request_without(true, false, true), kBrowserV4, start_);
  expect_error(no_integrity, 400, false);
  EXPECT_NE(no_integrity.error.find("MESSAGE-INTEGRITY"), std::string::npos);
}

TEST_F(IceLiteSessionTest, MissingPriorityIs400WithIntegrity) {
  const IceReply reply = receive(request_without(true, true, false), kBrowserV4, start_);
  expect_error(reply, 400, true);
  EXPECT_NE(reply.error.find("PRIORITY"), std::string::npos);
}

TEST_F(IceLiteSessionTest, PeerClaimingControlledIsARoleConflict) {
  BindingRequestOptions options = nomination();
  options.ice_controlling.reset();
  options.ice_controlled = 0xffffffffffffffff;
  expect_error(receive(options, kBrowserV4, start_), 487, true);
  EXPECT_FALSE(session_.selected());
}

TEST_F(IceLiteSessionTest, UnknownRequiredAttributeIs420ListingIt) {
  const std::uint8_t value[] = {1, 2, 3, 4};
  const Bytes raw = StunBuilder(kBindingRequest, random_transaction_id())
                        .add_username(kServer.ufrag + ":" + kBrowserUfrag)
                        .add_priority(5)
                        .add_attribute(0x7abc, value)
                        .finish(std::string_view(kServer.password), true);
  const IceReply reply = receive(raw, kBrowserV4, start_);
  expect_error(reply, 420, true);
  EXPECT_EQ(response_of(reply).unknown_attributes, (std::vector<std::uint16_t>{0x7abc}));
}

TEST_F(IceLiteSessionTest, UnknownRequiredAttributeFromAnUnauthenticatedPeerIs401) {
  const std::uint8_t value[] = {1, 2, 3, 4};
  const Bytes raw = StunBuilder(kBindingRequest, random_transaction_id())
                        .add_username(kServer.ufrag + ":" + kBrowserUfrag)
                        .add_priority(5)
                        .add_attribute(0x7abc, value)
                        .finish(std::string_view("guess"), true);
  expect_error(receive(raw, kBrowserV4, start_), 401, false);
}

TEST_F(IceLiteSessionTest, BadFingerprintIsDroppedWithoutAnswer) {
  Bytes raw = binding_request(nomination());
  raw.back() ^= 0x01;
  const IceReply reply = receive(raw, kBrowserV4, start_);
  EXPECT_TRUE(reply.response.empty());
  EXPECT_FALSE(reply.valid);
  EXPECT_NE(reply.error.find("FINGERPRINT"), std::string::npos);
  EXPECT_FALSE(session_.selected());
}

TEST_F(IceLiteSessionTest, ResponsesAndIndicationsAreNotAnswered) {
  const Bytes indication =
      StunBuilder(kBindingIndication, random_transaction_id()).finish(std::nullopt, true);
  EXPECT_TRUE(receive(indication, kBrowserV4, start_).response.empty());
  const StunMessage request = *parse_stun(binding_request(browser_check()));
  const Bytes success = binding_success(request, to_stun_address(kBrowserV4), kServer.password);
  const IceReply reply = receive(success, kBrowserV4, start_);
  EXPECT_TRUE(reply.response.empty());
  EXPECT_FALSE(reply.valid);
  EXPECT_FALSE(reply.error.empty());
}

TEST_F(IceLiteSessionTest, RequestWithoutFingerprintIsStillAnswered) {
  // FINGERPRINT is for demultiplexing; its absence is not an authentication failure.
  const Bytes raw = StunBuilder(kBindingRequest, random_transaction_id())
                        .add_username(kServer.ufrag + ":" + kBrowserUfrag)
                        .add_priority(5)
                        .finish(std::string_view(kServer.password), false);
  EXPECT_TRUE(receive(raw, kBrowserV4, start_).valid);
}

TEST_F(IceLiteSessionTest, ConsentExpiresThirtySecondsAfterCreationWithoutChecks) {
  EXPECT_FALSE(session_.consent_expired(start_ + 29s));
  EXPECT_TRUE(session_.consent_expired(start_ + 30s));
  EXPECT_FALSE(session_.consent_expired(start_ + 9s, 10s));
  EXPECT_TRUE(session_.consent_expired(start_ + 10s, 10s));
}

TEST_F(IceLiteSessionTest, ValidCheckRefreshesConsent) {
  (void)receive(browser_check(), kBrowserV4, start_ + 25s);
  EXPECT_FALSE(session_.consent_expired(start_ + 54s));
  EXPECT_TRUE(session_.consent_expired(start_ + 55s));
}

TEST_F(IceLiteSessionTest, RejectedCheckDoesNotRefreshConsent) {
  BindingRequestOptions options = browser_check();
  options.password = "not-the-password";
  (void)receive(options, kBrowserV4, start_ + 25s);
  BindingRequestOptions conflict = browser_check();
  conflict.ice_controlling.reset();
  conflict.ice_controlled = 1;
  (void)receive(conflict, kBrowserV4, start_ + 26s);
  EXPECT_TRUE(session_.consent_expired(start_ + 30s));
}

TEST_F(IceLiteSessionTest, LocalUfragOfIsTheUsernameBeforeTheColon) {
  const StunMessage request = *parse_stun(binding_request(browser_check()));
  EXPECT_EQ(IceLiteSession::local_ufrag_of(request), kServer.ufrag);
  StunMessage message;
  EXPECT_FALSE(IceLiteSession::local_ufrag_of(message));
  message.username = "nocolon";
  EXPECT_FALSE(IceLiteSession::local_ufrag_of(message));
  message.username = ":x";
  EXPECT_EQ(IceLiteSession::local_ufrag_of(message), "");
}

TEST_F(IceLiteSessionTest, KeepsItsCredentials) {
  EXPECT_EQ(session_.local(), kServer);
  EXPECT_EQ(session_.remote_ufrag(), kBrowserUfrag);
  EXPECT_EQ(session_.remote_password(), kBrowserPassword);
}

TEST(StunEndpoint, ConvertsBothWays) {
  for (const char* text : {"0.0.0.0", "255.255.255.255", "10.0.0.1", "::1", "fe80::1",
                           "2001:db8:1234:5678:11:2233:4455:6677"}) {
    const udp::endpoint endpoint(make_address(text), 65535);
    EXPECT_EQ(to_endpoint(to_stun_address(endpoint)), endpoint) << text;
  }
}

}  // namespace
}  // namespace callcast::ice::ice_lite_session_test
