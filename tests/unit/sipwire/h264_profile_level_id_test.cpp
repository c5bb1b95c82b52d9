#include "sipwire/h264_profile_level_id.hpp"

#include <gtest/gtest.h>

namespace callcast::sip {
namespace {

H264ProfileLevelId id(std::string_view text) {
  auto parsed = H264ProfileLevelId::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << parsed.error();
  return parsed ? *parsed : H264ProfileLevelId{};
}

TEST(H264ProfileLevelId, ReadsTheThreeOctets) {
  const auto constrained_baseline = id("42e01f");
  EXPECT_EQ(constrained_baseline.profile_idc(), 0x42);
  EXPECT_EQ(constrained_baseline.profile_iop(), 0xe0);
  EXPECT_EQ(constrained_baseline.level_idc(), 31);
  EXPECT_EQ(constrained_baseline.level().name(), "3.1");
  EXPECT_EQ(constrained_baseline.to_string(), "42e01f");
  EXPECT_EQ(id("42801F").to_string(), "42801f");  // linphone writes upper case
}

TEST(H264ProfileLevelId, RejectsWhatIsNotSixHexDigitsOrAKnownLevel) {
  EXPECT_FALSE(H264ProfileLevelId::parse(""));
  EXPECT_FALSE(H264ProfileLevelId::parse("42e01"));
  EXPECT_FALSE(H264ProfileLevelId::parse("42e01f0"));
  EXPECT_FALSE(H264ProfileLevelId::parse("42g01f"));
  EXPECT_FALSE(H264ProfileLevelId::parse("+2e01f"));
  EXPECT_FALSE(H264ProfileLevelId::parse("420010"));  // level_idc 16 is no level
  EXPECT_FALSE(H264ProfileLevelId::parse("00e01f"));
  EXPECT_FALSE(H264ProfileLevelId::parse("42e009"));  // 1b of Baseline is spelled 11 + set3
  const auto error = H264ProfileLevelId::parse("zzzzzz");
  ASSERT_FALSE(error);
  EXPECT_NE(error.error().find("six hex digits"), std::string::npos);
}

TEST(H264ProfileLevelId, ClassifiesProfilesByIdcAndConstraintFlags) {
  EXPECT_EQ(id("42e01f").profile(), H264Profile::constrained_baseline);
  EXPECT_EQ(id("42c01e").profile(), H264Profile::constrained_baseline);
  EXPECT_EQ(id("42401e").profile(), H264Profile::constrained_baseline);
  EXPECT_EQ(id("4d801f").profile(), H264Profile::constrained_baseline);  // Main + set0
  EXPECT_EQ(id("58c01e").profile(), H264Profile::constrained_baseline);  // Extended + set0/1
  EXPECT_EQ(id("42001f").profile(), H264Profile::baseline);
  EXPECT_EQ(id("42801f").profile(), H264Profile::baseline);  // linphone: set0 only
  EXPECT_EQ(id("4d001f").profile(), H264Profile::main);
  EXPECT_EQ(id("4d401f").profile(), H264Profile::main);
  EXPECT_EQ(id("58001e").profile(), H264Profile::extended);
  EXPECT_EQ(id("640028").profile(), H264Profile::high);
  EXPECT_EQ(id("640c1f").profile(), H264Profile::constrained_high);
  EXPECT_EQ(id("64081f").profile(), H264Profile::progressive_high);
  EXPECT_EQ(id("6e001f").profile(), H264Profile::high10);
  EXPECT_EQ(id("7a001f").profile(), H264Profile::high422);
  EXPECT_EQ(id("f4001f").profile(), H264Profile::high444);
  EXPECT_EQ(id("53001f").profile(), H264Profile::other);  // Scalable Baseline
  EXPECT_EQ(profile_name(H264Profile::constrained_baseline), "Constrained Baseline");
}

TEST(H264ProfileLevelId, ReadsLevel1bInBothSpellings) {
  const auto baseline_1b = id("42f00b");  // level_idc 11 + constraint_set3: 1b
  EXPECT_TRUE(baseline_1b.level().is_1b);
  EXPECT_EQ(baseline_1b.level().name(), "1b");
  EXPECT_EQ(baseline_1b.profile(), H264Profile::constrained_baseline);
  EXPECT_FALSE(id("42e00b").level().is_1b);  // set3 clear: Level 1.1
  EXPECT_EQ(id("42e00b").level().name(), "1.1");
  EXPECT_TRUE(id("640009").level().is_1b);   // High spells 1b as level_idc 9
  EXPECT_FALSE(id("64100b").level().is_1b);  // set3 means something else for High
  // 1 < 1b < 1.1
  EXPECT_LT(id("42e00a").level().rank(), baseline_1b.level().rank());
  EXPECT_LT(baseline_1b.level().rank(), id("42e00b").level().rank());
}

TEST(H264ProfileLevelId, WritesAnotherLevelAsRfc6184WantsTheLevelPart) {
  EXPECT_EQ(id("42e01f").with_level({20, false}).to_string(), "42e014");
  EXPECT_EQ(id("42e01f").with_level({11, true}).to_string(), "42f00b");
  EXPECT_EQ(id("42f00b").with_level({31, false}).to_string(), "42e01f");  // set3 cleared
  EXPECT_EQ(id("640028").with_level({11, true}).to_string(), "640009");
  EXPECT_EQ(id("64101f").with_level({40, false}).to_string(), "641028");  // High's set3 kept
}

TEST(H264ProfileLevelId, AbsentMeansBaselineLevel1AndPacketizationMode0) {
  const auto absent = H264ProfileLevelId::from_fmtp("packetization-mode=1");
  ASSERT_TRUE(absent);
  EXPECT_EQ(absent->to_string(), "42000a");
  EXPECT_EQ(absent->profile(), H264Profile::baseline);
  EXPECT_EQ(absent->level().name(), "1");
  EXPECT_EQ(H264ProfileLevelId::from_fmtp("profile-level-id=42801F")->to_string(), "42801f");
  EXPECT_FALSE(H264ProfileLevelId::from_fmtp("profile-level-id=4280"));
  EXPECT_EQ(packetization_mode_from_fmtp(""), 0);
  EXPECT_EQ(packetization_mode_from_fmtp("profile-level-id=42801F"), 0);
  EXPECT_EQ(packetization_mode_from_fmtp("packetization-mode=1;profile-level-id=42e01f"), 1);
  EXPECT_EQ(packetization_mode_from_fmtp("packetization-mode=2"), 2);
  EXPECT_EQ(packetization_mode_from_fmtp("packetization-mode=3"), std::nullopt);
  EXPECT_EQ(packetization_mode_from_fmtp("packetization-mode="), std::nullopt);
}

TEST(H264ProfileLevelId, ConstrainedBaselineIsDecodedByEveryCommonDecoder) {
  const auto stream = id("42e01f");
  for (const auto* decoder : {"42e01f", "42001f", "42801f", "4d001f", "58001f", "640c1f", "64081f",
                              "64001f", "6e001f", "7a001f", "f4001f"}) {
    EXPECT_TRUE(id(decoder).profile_decodes(stream)) << decoder;
  }
  EXPECT_FALSE(id("53001f").profile_decodes(stream));
}

TEST(H264ProfileLevelId, BaselineNeedsABaselineOrExtendedDecoder) {
  const auto stream = id("42001f");  // may use FMO/ASO: not Main, not Constrained Baseline
  EXPECT_TRUE(id("42001f").profile_decodes(stream));
  EXPECT_TRUE(id("42801f").profile_decodes(stream));
  EXPECT_TRUE(id("58001f").profile_decodes(stream));
  EXPECT_FALSE(id("42e01f").profile_decodes(stream));
  EXPECT_FALSE(id("4d001f").profile_decodes(stream));
  EXPECT_FALSE(id("64001f").profile_decodes(stream));
}

TEST(H264ProfileLevelId, MainAndHighNeedTheirDecodersOrAbove) {
  const auto main = id("4d001f");
  EXPECT_FALSE(id("42e01f").profile_decodes(main));
  EXPECT_FALSE(id("42001f").profile_decodes(main));
  EXPECT_TRUE(id("4d001f").profile_decodes(main));
  EXPECT_TRUE(id("64001f").profile_decodes(main));
  EXPECT_FALSE(id("640c1f").profile_decodes(main));  // Constrained High: no B slices
  const auto high = id("640028");
  EXPECT_FALSE(id("4d0028").profile_decodes(high));
  EXPECT_TRUE(id("640028").profile_decodes(high));
  EXPECT_TRUE(id("6e0028").profile_decodes(high));
  EXPECT_TRUE(id("f40028").profile_decodes(high));
  EXPECT_FALSE(id("640028").profile_decodes(id("6e0028")));  // High 10 stream, High decoder
  EXPECT_TRUE(id("640028").profile_decodes(id("640c1f")));   // Constrained High stream
}

TEST(H264ProfileLevelId, DecodesNeedsTheLevelToo) {
  EXPECT_TRUE(id("42e01f").decodes(id("42e01e")));
  EXPECT_TRUE(id("42e01f").decodes(id("42e01f")));
  EXPECT_FALSE(id("42e01f").decodes(id("42e020")));
  EXPECT_FALSE(id("42e00a").decodes(id("42f00b")));  // 1b is above 1
  EXPECT_TRUE(id("42f00b").decodes(id("42e00a")));
}

}  // namespace
}  // namespace callcast::sip
