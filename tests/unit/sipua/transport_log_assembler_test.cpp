#include "sipua/transport_log_assembler.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef CALLCAST_SIPUA_TEST_DATA
#error "CALLCAST_SIPUA_TEST_DATA must name the test data directory"
#endif

namespace callcast::sipua {
namespace {

// su_log() fragments as Debian's sofia-sip 1.12.11 emitted them (TPTAG_LOG) during a call with a
// reliable 183, one fragment per record, records separated by 0x1E.
std::vector<std::string> captured_fragments() {
  std::ifstream file(std::string(CALLCAST_SIPUA_TEST_DATA) + "/tport_log_reliable_183.bin",
                     std::ios::binary);
  std::string all{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  std::vector<std::string> fragments;
  std::size_t start = 0;
  for (std::size_t end; (end = all.find('\x1e', start)) != std::string::npos; start = end + 1) {
    fragments.push_back(all.substr(start, end - start));
  }
  return fragments;
}

TEST(TransportLogAssemblerTest, CapturedDebianLogGivesTheCallsMessagesInOrder) {
  const auto fragments = captured_fragments();
  ASSERT_GT(fragments.size(), 100u);
  TransportLogAssembler assembler;
  std::vector<std::string> labels;
  std::size_t not_consumed = 0;
  std::string first_invite;
  for (const auto& fragment : fragments) {
    auto fed = assembler.feed(fragment);
    if (!fed.consumed) ++not_consumed;
    if (!fed.message) continue;
    labels.push_back(fed.message->label());
    if (first_invite.empty() && fed.message->method() == "INVITE")
      first_invite = fed.message->text();
  }
  EXPECT_EQ(not_consumed, 0u);
  EXPECT_EQ(labels, (std::vector<std::string>{">INVITE", "<100", "<183", ">PRACK", "<200 PRACK",
                                              "<200", ">ACK", ">BYE", "<200 BYE"}));
  // Lines come back unindented, CRLF-terminated, with the body after the empty line.
  EXPECT_TRUE(first_invite.starts_with("INVITE sip:service@127.0.0.1:15090 SIP/2.0\r\nVia: "))
      << first_invite;
  EXPECT_NE(first_invite.find("\r\n\r\nv=0\r\n"), std::string::npos) << first_invite;
}

TEST(TransportLogAssemblerTest, WholeEntryInOneFragmentAsNewerSofiaLogsIt) {
  TransportLogAssembler assembler;
  auto fed = assembler.feed(
      "recv 120 bytes from tcp/[127.0.0.1]:5060 at 10:00:00.000001:\n"
      "   ------------------------------------------------------------------------\n"
      "   SIP/2.0 486 Busy Here\n"
      "   Call-ID: x\n"
      "   CSeq: 3 INVITE\n"
      "   \n");
  EXPECT_TRUE(fed.consumed);
  ASSERT_TRUE(fed.message.has_value());
  EXPECT_EQ(fed.message->direction(), Direction::received);
  EXPECT_EQ(fed.message->label(), "<486");
}

TEST(TransportLogAssemblerTest, OtherLogLinesAreLeftToTheCaller) {
  TransportLogAssembler assembler;
  EXPECT_FALSE(assembler.feed("nua: nua_r_invite with invalid handle 0x1\n").consumed);
  EXPECT_FALSE(assembler.feed("send me a postcard\n").consumed);
  EXPECT_FALSE(assembler.feed("recv 12 bytes from nowhere\n").consumed);
}

TEST(TransportLogAssemblerTest, EntryThatIsNotSipIsConsumedWithoutAMessage) {
  TransportLogAssembler assembler;
  EXPECT_TRUE(
      assembler
          .feed("sent 4 bytes to udp/[127.0.0.1]:5060 at 10:00:00.000001:\n"
                "   ------------------------------------------------------------------------\n")
          .consumed);
  EXPECT_TRUE(assembler.feed("   \r\n\r\n").consumed);
  auto fed = assembler.feed(
      "   ------------------------------------------------------------------------\n");
  EXPECT_TRUE(fed.consumed);
  EXPECT_FALSE(fed.message.has_value());
  // And the assembler is ready for the next entry.
  EXPECT_FALSE(assembler.feed("something else\n").consumed);
}

}  // namespace
}  // namespace callcast::sipua
