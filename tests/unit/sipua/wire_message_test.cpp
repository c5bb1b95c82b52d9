#include "sipua/wire_message.hpp"

#include <gtest/gtest.h>

#include <string>

namespace callcast::sipua {
namespace {

constexpr const char* kInvite =
    "INVITE sip:777@127.0.0.1:5060 SIP/2.0\n"
    "Via: SIP/2.0/UDP 127.0.0.1:40001;rport;branch=z9hG4bKabc\n"
    "From: <sip:1001@127.0.0.1:5060>;tag=x1\n"
    "To: <sip:777@127.0.0.1:5060>\n"
    "Call-ID: c1@host\n"
    "CSeq: 7 INVITE\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 4\n"
    "\n"
    "v=0\n";

constexpr const char* kReliable183 =
    "SIP/2.0 183 Session Progress\r\n"
    "v: SIP/2.0/UDP 127.0.0.1:40001;branch=z9hG4bKabc\r\n"
    "i: c1@host\r\n"
    "CSeq: 7 INVITE\r\n"
    "RSeq: 1\r\n"
    "\r\n";

TEST(WireMessageTest, RequestGivesMethodCallIdAndCSeq) {
  auto message = WireMessage::parse(Direction::sent, kInvite);
  ASSERT_TRUE(message.has_value());
  EXPECT_TRUE(message->is_request());
  EXPECT_EQ(message->method(), "INVITE");
  EXPECT_EQ(message->call_id(), "c1@host");
  EXPECT_EQ(message->cseq(), 7u);
  EXPECT_EQ(message->cseq_method(), "INVITE");
  EXPECT_EQ(message->label(), ">INVITE");
  EXPECT_EQ(message->body(), "v=0\r\n");
  EXPECT_EQ(message->header("content-type"), "application/sdp");
  EXPECT_EQ(message->header("Warning"), std::nullopt);
}

TEST(WireMessageTest, ResponseToInviteIsLabelledByStatusAlone) {
  auto message = WireMessage::parse(Direction::received, kReliable183);
  ASSERT_TRUE(message.has_value());
  EXPECT_FALSE(message->is_request());
  EXPECT_EQ(message->status(), 183);
  EXPECT_EQ(message->call_id(), "c1@host");  // compact "i:"
  EXPECT_EQ(message->header("Via"), "SIP/2.0/UDP 127.0.0.1:40001;branch=z9hG4bKabc");
  EXPECT_EQ(message->label(), "<183");
}

TEST(WireMessageTest, ResponseToOtherMethodsNamesTheMethod) {
  auto prack =
      WireMessage::parse(Direction::received, "SIP/2.0 200 OK\nCall-ID: a\nCSeq: 8 PRACK\n\n");
  ASSERT_TRUE(prack.has_value());
  EXPECT_EQ(prack->label(), "<200 PRACK");
  auto bye = WireMessage::parse(Direction::sent, "SIP/2.0 200 OK\nCall-ID: a\nCSeq: 1 BYE\n\n");
  ASSERT_TRUE(bye.has_value());
  EXPECT_EQ(bye->label(), ">200 BYE");
}

TEST(WireMessageTest, RetransmissionKeyTellsReliableProvisionalsApart) {
  auto first = WireMessage::parse(Direction::received, kReliable183);
  std::string second_text = kReliable183;
  second_text.replace(second_text.find("RSeq: 1"), 7, "RSeq: 2");
  auto second = WireMessage::parse(Direction::received, second_text);
  auto again = WireMessage::parse(Direction::received, kReliable183);
  ASSERT_TRUE(first && second && again);
  EXPECT_NE(first->retransmission_key(), second->retransmission_key());
  EXPECT_EQ(first->retransmission_key(), again->retransmission_key());
}

TEST(WireMessageTest, RejectsWhatIsNotASipMessage) {
  EXPECT_FALSE(WireMessage::parse(Direction::sent, "hello world\n\n"));
  EXPECT_FALSE(WireMessage::parse(Direction::sent, "SIP/2.0 99 Low\nCall-ID: a\nCSeq: 1 X\n\n"));
  EXPECT_FALSE(WireMessage::parse(Direction::sent, "SIP/2.0 2x0 OK\nCall-ID: a\nCSeq: 1 X\n\n"));
  // No CSeq, a CSeq without method, no Call-ID.
  EXPECT_FALSE(WireMessage::parse(Direction::sent, "BYE sip:a SIP/2.0\nCall-ID: a\n\n"));
  EXPECT_FALSE(WireMessage::parse(Direction::sent, "BYE sip:a SIP/2.0\nCall-ID: a\nCSeq: 1\n\n"));
  EXPECT_FALSE(WireMessage::parse(Direction::sent, "BYE sip:a SIP/2.0\nCSeq: 1 BYE\n\n"));
  EXPECT_FALSE(WireMessage::parse(Direction::sent, ""));
}

}  // namespace
}  // namespace callcast::sipua
