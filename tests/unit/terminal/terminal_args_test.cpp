// The terminal's flag values: sizes, bitrates, the server address.
#include "terminal/terminal_args.hpp"

#include <gtest/gtest.h>

namespace callcast::terminal {
namespace {

TEST(TerminalArgs, FrameSizes) {
  const auto hd = parse_frame_size("1280x720");
  ASSERT_TRUE(hd.ok());
  EXPECT_EQ(hd->width, 1280);
  EXPECT_EQ(hd->height, 720);
  EXPECT_TRUE(parse_frame_size("640X360").ok());
  for (const char* bad :
       {"", "1280", "x720", "1280x", "1281x720", "8x8", "9000x720", "axb", "1280x720x3", "-2x4"}) {
    EXPECT_FALSE(parse_frame_size(bad).ok()) << bad;
  }
  EXPECT_EQ(parse_frame_size("1281x720").error(),
            "size 1281x720 must be even, between 16x16 and 4096x4096");
}

TEST(TerminalArgs, Bitrates) {
  EXPECT_EQ(parse_bitrate_kbps("2M").value(), 2000);
  EXPECT_EQ(parse_bitrate_kbps("2.5m").value(), 2500);
  EXPECT_EQ(parse_bitrate_kbps("800k").value(), 800);
  EXPECT_EQ(parse_bitrate_kbps("800K").value(), 800);
  EXPECT_EQ(parse_bitrate_kbps("2000000").value(), 2000);
  for (const char* bad : {"", "M", "fast", "2G", "10", "1000M", "nan", "-2M"}) {
    EXPECT_FALSE(parse_bitrate_kbps(bad).ok()) << bad;
  }
}

TEST(TerminalArgs, ServerAddresses) {
  auto plain = parse_server("127.0.0.1");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host_port(), "127.0.0.1:5060");
  EXPECT_EQ(parse_server("127.0.0.1:5070")->host_port(), "127.0.0.1:5070");
  EXPECT_EQ(parse_server("[::1]:5070")->host_port(), "[::1]:5070");
  EXPECT_EQ(parse_server("[::1]")->host_port(), "[::1]:5060");
  EXPECT_EQ(parse_server("localhost")->host, "localhost");
  for (const char* bad :
       {"", ":5060", "host:", "host:0", "host:70000", "host:x", "[::1", "[::1]x"}) {
    EXPECT_FALSE(parse_server(bad).ok()) << bad;
  }
  EXPECT_EQ(default_ut_url(*parse_server("127.0.0.1:5070")), "http://127.0.0.1:8080");
  EXPECT_EQ(default_ut_url(*parse_server("[::1]")), "http://[::1]:8080");
}

}  // namespace
}  // namespace callcast::terminal
