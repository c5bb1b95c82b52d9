// The Warning text that carries the network side's reason for a refusal to the terminal's user.
#include "sipwire/warning_text.hpp"

#include <gtest/gtest.h>

namespace callcast::sip {
namespace {

TEST(WarningText, WriterQuotesAndEscapes) {
  EXPECT_EQ(make_warning_value("1001 is not broadcasting"),
            "399 callcast \"1001 is not broadcasting\"");
  EXPECT_EQ(make_warning_value("a \"b\" \\ c\r\nd"), "399 callcast \"a \\\"b\\\" \\\\ cd\"");
}

TEST(WarningText, ReaderUnescapesTheFirstQuotedText) {
  EXPECT_EQ(warning_text("399 callcast \"1001 is not broadcasting\""), "1001 is not broadcasting");
  EXPECT_EQ(warning_text("399 callcast \"a \\\"b\\\" \\\\ c\", 399 x \"second\""), "a \"b\" \\ c");
}

TEST(WarningText, MalformedValuesReadAsEmpty) {
  EXPECT_EQ(warning_text(""), "");
  EXPECT_EQ(warning_text("301 host"), "");
  EXPECT_EQ(warning_text("399 host \"no closing quote"), "");
  EXPECT_EQ(warning_text("399 host \"cut escape\\"), "");
}

TEST(WarningText, RoundTripsAnyTextWithoutLineBreaks) {
  for (const std::string text : {"", "plain", "\"", "\\", "\\\"", "tab\there"}) {
    EXPECT_EQ(warning_text(make_warning_value(text)), text) << text;
  }
}

}  // namespace
}  // namespace callcast::sip
