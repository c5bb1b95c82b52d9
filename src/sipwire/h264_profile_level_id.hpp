#pragma once
// The H.264 profile-level-id of SDP (RFC 6184 §8.1): three octets in six hex digits,
//
//   profile_idc   profile-iop                    level_idc
//   0x42          1 1 1 0 0 0 0 0                0x1f
//                 | | | | | | +-+- reserved 0
//                 | | | | | +----- constraint_set5_flag
//                 | | | | +------- constraint_set4_flag
//                 | | | +--------- constraint_set3_flag (Level 1b for 66/77/88 at level_idc 11)
//                 | | +----------- constraint_set2_flag (obeys Extended)
//                 | +------------- constraint_set1_flag (obeys Main)
//                 +--------------- constraint_set0_flag (obeys Baseline)
//
// "42e01f" is Constrained Baseline at Level 3.1, "4d0028" Main 4.0, "640c1f" Constrained High.
// A format without profile-level-id is Baseline at Level 1 ("42000a", §8.1), and one without
// packetization-mode is in single NAL unit mode 0 (§6.2).
//
// What a decoder of one profile can decode follows H.264 Annex A.2: a bitstream that obeys a
// profile's constraints (its profile_idc, or the constraint_set flag for that profile) is
// decodable by that profile's decoder, and by the decoders whose profiles contain it: Main and
// Extended decoders take Constrained Baseline, High decoders take Main, High 10 takes High, and
// so on up to High 4:4:4 Predictive.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::sip {

enum class H264Profile {
  constrained_baseline,
  baseline,
  main,
  extended,
  high,
  constrained_high,  // High with constraint_set4 and set5: progressive, no B slices
  progressive_high,  // High with constraint_set4
  high10,
  high422,
  high444,
  other,  // a profile_idc this table does not know (SVC, MVC, intra-only ...): decodes only itself
};

// A level in H.264's order, Level 1b sitting between 1 and 1.1 whatever its spelling.
struct H264Level {
  std::uint8_t level_idc = 10;  // 10 = Level 1, 31 = Level 3.1; 11 together with is_1b = Level 1b
  bool is_1b = false;

  // A key that sorts levels: 1 < 1b < 1.1 < 1.2 ...
  unsigned rank() const { return is_1b ? 21u : level_idc * 2u; }
  std::string name() const;  // "1b", "3.1", "4"
  bool operator==(const H264Level&) const = default;
};

class H264ProfileLevelId {
 public:
  static constexpr std::string_view kDefault = "42000a";  // RFC 6184 §8.1: Baseline, Level 1

  // Six hex digits, either case. Level 1b is read from both spellings (level_idc 11 with
  // constraint_set3 for profile_idc 66/77/88, level_idc 9 for the others).
  static Result<H264ProfileLevelId, std::string> parse(std::string_view text);
  // From an fmtp parameter list: the default when the list has no profile-level-id.
  static Result<H264ProfileLevelId, std::string> from_fmtp(std::string_view fmtp);

  H264ProfileLevelId() = default;  // Baseline, Level 1
  H264ProfileLevelId(std::uint8_t profile_idc, std::uint8_t profile_iop, std::uint8_t level_idc);

  std::uint8_t profile_idc() const { return profile_idc_; }
  std::uint8_t profile_iop() const { return profile_iop_; }
  std::uint8_t level_idc() const { return level_idc_; }
  H264Profile profile() const;
  H264Level level() const;

  // The same profile at another level, written as RFC 6184 §8.2.2 wants the level part of an
  // answer: level_idc, and constraint_set3 for Level 1b of profile_idc 66/77/88.
  H264ProfileLevelId with_level(H264Level level) const;

  // Would a decoder of this profile decode a bitstream of `stream`'s profile? Levels aside.
  bool profile_decodes(const H264ProfileLevelId& stream) const;
  // Profile and level: the stream's level at most this one's.
  bool decodes(const H264ProfileLevelId& stream) const;

  std::string to_string() const;  // six lower-case hex digits, as parsed
  bool operator==(const H264ProfileLevelId&) const = default;

 private:
  std::uint8_t profile_idc_ = 0x42;
  std::uint8_t profile_iop_ = 0x00;
  std::uint8_t level_idc_ = 0x0a;
};

std::string_view profile_name(H264Profile profile);  // "Constrained Baseline", "High" ...

// packetization-mode of an fmtp parameter list (RFC 6184 §8.1): 0 when absent; nullopt when
// the value is not 0, 1 or 2.
std::optional<int> packetization_mode_from_fmtp(std::string_view fmtp);

}  // namespace callcast::sip
