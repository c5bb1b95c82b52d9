#include "sipua/message_recorder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callcast::sipua {
namespace {

WireMessage message(Direction direction, const std::string& text) {
  auto parsed = WireMessage::parse(direction, text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return *parsed;
}

TEST(MessageRecorderTest, KeepsWireOrderPerCallId) {
  MessageRecorder recorder;
  auto invite = message(Direction::sent, "INVITE sip:x SIP/2.0\nCall-ID: a\nCSeq: 1 INVITE\n\n");
  auto other = message(Direction::sent, "INVITE sip:y SIP/2.0\nCall-ID: b\nCSeq: 1 INVITE\n\n");
  auto ok = message(Direction::received, "SIP/2.0 200 OK\nCall-ID: a\nCSeq: 1 INVITE\n\n");
  recorder.record(invite);
  recorder.record(other);
  recorder.record(ok);
  EXPECT_EQ(recorder.sequence("a"), (std::vector<std::string>{">INVITE", "<200"}));
  EXPECT_EQ(recorder.sequence("b"), (std::vector<std::string>{">INVITE"}));
  EXPECT_TRUE(recorder.sequence("c").empty());
}

TEST(MessageRecorderTest, CountsRetransmissionsWithoutRepeatingThem) {
  MessageRecorder recorder;
  const std::string ok_text =
      "SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCall-ID: a\nCSeq: 1 INVITE\n\n";
  auto first = message(Direction::received, ok_text);
  auto again = message(Direction::received, ok_text);
  recorder.record(first);
  recorder.record(again);
  EXPECT_FALSE(first.retransmission);
  EXPECT_TRUE(again.retransmission);
  EXPECT_EQ(recorder.sequence("a"), (std::vector<std::string>{"<200"}));
  EXPECT_EQ(recorder.retransmissions("a"), 1u);
  // A new transaction with the same method is not a retransmission.
  auto second = message(Direction::received,
                        "SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\nCall-ID: a\n"
                        "CSeq: 2 INVITE\n\n");
  recorder.record(second);
  EXPECT_EQ(recorder.sequence("a"), (std::vector<std::string>{"<200", "<200"}));
  recorder.forget("a");
  EXPECT_TRUE(recorder.sequence("a").empty());
}

}  // namespace
}  // namespace callcast::sipua
