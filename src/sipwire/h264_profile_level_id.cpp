#include "sipwire/h264_profile_level_id.hpp"

#include "sdp/session_description.hpp"

namespace callcast::sip {
namespace {

constexpr std::uint8_t kSet0 = 0x80;  // obeys Baseline
constexpr std::uint8_t kSet1 = 0x40;  // obeys Main
constexpr std::uint8_t kSet2 = 0x20;  // obeys Extended
constexpr std::uint8_t kSet3 = 0x10;  // Level 1b for 66/77/88
constexpr std::uint8_t kSet4 = 0x08;
constexpr std::uint8_t kSet5 = 0x04;

constexpr std::uint8_t kBaselineIdc = 66;
constexpr std::uint8_t kMainIdc = 77;
constexpr std::uint8_t kExtendedIdc = 88;
constexpr std::uint8_t kHighIdc = 100;
constexpr std::uint8_t kHigh10Idc = 110;
constexpr std::uint8_t kHigh422Idc = 122;
constexpr std::uint8_t kHigh444Idc = 244;

// Level 1b is level_idc 11 + constraint_set3 in these profiles, level_idc 9 in the others.
bool spells_1b_with_set3(std::uint8_t profile_idc) {
  return profile_idc == kBaselineIdc || profile_idc == kMainIdc || profile_idc == kExtendedIdc;
}

std::optional<std::uint8_t> hex_octet(std::string_view two) {
  unsigned value = 0;
  for (const char c : two) {
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value |= static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      value |= static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      value |= static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
  }
  return static_cast<std::uint8_t>(value);
}

// The level_idc values H.264 Table A-1 defines (9 only as Level 1b of the non-66/77/88 profiles).
bool is_known_level_idc(std::uint8_t level_idc) {
  switch (level_idc) {
    case 9:
    case 10:
    case 11:
    case 12:
    case 13:
    case 20:
    case 21:
    case 22:
    case 30:
    case 31:
    case 32:
    case 40:
    case 41:
    case 42:
    case 50:
    case 51:
    case 52:
    case 60:
    case 61:
    case 62:
      return true;
    default:
      return false;
  }
}

// Which profiles' constraints a bitstream obeys (H.264 A.2, the constraint_set flags).
struct Obeys {
  bool baseline = false;
  bool main = false;
  bool extended = false;
  bool constrained_high = false;
  bool progressive_high = false;
  bool high = false;
  bool high10 = false;
  bool high422 = false;
  bool high444 = false;
};

Obeys obeys(std::uint8_t idc, std::uint8_t iop) {
  Obeys o;
  o.baseline = idc == kBaselineIdc || (iop & kSet0) != 0;
  o.main = idc == kMainIdc || (iop & kSet1) != 0;
  o.extended = idc == kExtendedIdc || (iop & kSet2) != 0;
  const bool high_family = idc == kHighIdc;
  o.constrained_high = (high_family && (iop & kSet4) && (iop & kSet5)) || (o.baseline && o.main);
  o.progressive_high = (high_family && (iop & kSet4)) || o.constrained_high;
  o.high = high_family || o.main;  // A.2.4: High decoders decode Main bitstreams
  o.high10 = idc == kHigh10Idc || o.high;
  o.high422 = idc == kHigh422Idc || o.high10;
  o.high444 = idc == kHigh444Idc || o.high422;
  return o;
}

}  // namespace

std::string H264Level::name() const {
  if (is_1b) return "1b";
  std::string text = std::to_string(level_idc / 10);
  if (level_idc % 10 != 0) text += "." + std::to_string(level_idc % 10);
  return text;
}

H264ProfileLevelId::H264ProfileLevelId(std::uint8_t profile_idc, std::uint8_t profile_iop,
                                       std::uint8_t level_idc)
    : profile_idc_(profile_idc), profile_iop_(profile_iop), level_idc_(level_idc) {}

Result<H264ProfileLevelId, std::string> H264ProfileLevelId::parse(std::string_view text) {
  if (text.size() != 6) {
    return fail("profile-level-id '" + std::string(text.substr(0, 16)) + "' is not six hex digits");
  }
  const auto idc = hex_octet(text.substr(0, 2));
  const auto iop = hex_octet(text.substr(2, 2));
  const auto level = hex_octet(text.substr(4, 2));
  if (!idc || !iop || !level) {
    return fail("profile-level-id '" + std::string(text) + "' is not six hex digits");
  }
  if (*idc == 0) return fail("profile-level-id '" + std::string(text) + "' has profile_idc 0");
  if (!is_known_level_idc(*level)) {
    return fail("profile-level-id '" + std::string(text) + "' has an unknown level_idc " +
                std::to_string(*level));
  }
  if (*level == 9 && spells_1b_with_set3(*idc)) {
    return fail("profile-level-id '" + std::string(text) +
                "': level_idc 9 is not a level of profile_idc " + std::to_string(*idc));
  }
  return H264ProfileLevelId(*idc, *iop, *level);
}

Result<H264ProfileLevelId, std::string> H264ProfileLevelId::from_fmtp(std::string_view fmtp) {
  const auto value = sdp::fmtp_parameter(fmtp, "profile-level-id");
  return parse(value ? std::string_view(*value) : kDefault);
}

H264Profile H264ProfileLevelId::profile() const {
  const std::uint8_t iop = profile_iop_;
  switch (profile_idc_) {
    case kBaselineIdc:
      return (iop & kSet1) ? H264Profile::constrained_baseline : H264Profile::baseline;
    case kMainIdc:
      return (iop & kSet0) ? H264Profile::constrained_baseline : H264Profile::main;
    case kExtendedIdc:
      return ((iop & kSet0) && (iop & kSet1)) ? H264Profile::constrained_baseline
             : (iop & kSet0)                  ? H264Profile::baseline
             : (iop & kSet1)                  ? H264Profile::main
                                              : H264Profile::extended;
    case kHighIdc:
      if ((iop & kSet4) && (iop & kSet5)) return H264Profile::constrained_high;
      return (iop & kSet4) ? H264Profile::progressive_high : H264Profile::high;
    case kHigh10Idc:
      return H264Profile::high10;
    case kHigh422Idc:
      return H264Profile::high422;
    case kHigh444Idc:
      return H264Profile::high444;
    default:
      return H264Profile::other;
  }
}

H264Level H264ProfileLevelId::level() const {
  if (spells_1b_with_set3(profile_idc_) && level_idc_ == 11 && (profile_iop_ & kSet3)) {
    return {11, true};
  }
  if (level_idc_ == 9) return {11, true};
  return {level_idc_, false};
}

H264ProfileLevelId H264ProfileLevelId::with_level(H264Level level) const {
  H264ProfileLevelId result = *this;
  if (spells_1b_with_set3(profile_idc_)) {
    result.profile_iop_ = level.is_1b ? (profile_iop_ | kSet3) : (profile_iop_ & ~kSet3 & 0xff);
    result.level_idc_ = level.is_1b ? 11 : level.level_idc;
  } else {
    result.level_idc_ = level.is_1b ? 9 : level.level_idc;
  }
  return result;
}

bool H264ProfileLevelId::profile_decodes(const H264ProfileLevelId& stream) const {
  const Obeys s = obeys(stream.profile_idc_, stream.profile_iop_);
  switch (profile()) {
    case H264Profile::constrained_baseline:
      return s.baseline && s.main;
    case H264Profile::baseline:
      return s.baseline;
    case H264Profile::main:
      return s.main;
    case H264Profile::extended:
      return s.extended || s.baseline;  // A.2.3: Extended decoders take Baseline bitstreams
    case H264Profile::constrained_high:
      return s.constrained_high;
    case H264Profile::progressive_high:
      return s.progressive_high;
    case H264Profile::high:
      return s.high;
    case H264Profile::high10:
      return s.high10;
    case H264Profile::high422:
      return s.high422;
    case H264Profile::high444:
      return s.high444;
    case H264Profile::other:
      return stream.profile_idc_ == profile_idc_ && stream.profile_iop_ == profile_iop_;
  }
  return false;
}

bool H264ProfileLevelId::decodes(const H264ProfileLevelId& stream) const {
  return profile_decodes(stream) && stream.level().rank() <= level().rank();
}

std::string H264ProfileLevelId::to_string() const {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string text;
  for (const std::uint8_t octet : {profile_idc_, profile_iop_, level_idc_}) {
    text += kHex[octet >> 4];
    text += kHex[octet & 0x0f];
  }
  return text;
}

std::string_view profile_name(H264Profile profile) {
  switch (profile) {
    case H264Profile::constrained_baseline:
      return "Constrained Baseline";
    case H264Profile::baseline:
      return "Baseline";
    case H264Profile::main:
      return "Main";
    case H264Profile::extended:
      return "Extended";
    case H264Profile::high:
      return "High";
    case H264Profile::constrained_high:
      return "Constrained High";
    case H264Profile::progressive_high:
      return "Progressive High";
    case H264Profile::high10:
      return "High 10";
    case H264Profile::high422:
      return "High 4:2:2";
    case H264Profile::high444:
      return "High 4:4:4 Predictive";
    case H264Profile::other:
      break;
  }
  return "other";
}

std::optional<int> packetization_mode_from_fmtp(std::string_view fmtp) {
  const auto value = sdp::fmtp_parameter(fmtp, "packetization-mode");
  if (!value) return 0;
  if (*value == "0") return 0;
  if (*value == "1") return 1;
  if (*value == "2") return 2;
  return std::nullopt;
}

}  // namespace callcast::sip
