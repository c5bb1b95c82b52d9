#pragma once
// SDP (RFC 4566), kept line by line so that what is not understood is carried through unchanged.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace callcast::sdp {

struct Line {
  char type = 0;      // 'v', 'o', 's', 'c', 't', 'b', 'a', ...
  std::string value;  // after "x="
  bool operator==(const Line&) const = default;
};

struct MediaDescription {
  std::string media;  // "video", "audio", "application"
  std::uint16_t port = 0;
  std::string proto;  // "RTP/AVP", "TCP", ...
  std::vector<std::string> formats;
  std::vector<Line> lines;       // everything after the m= line, in order
  std::uint16_t port_count = 0;  // the "/<number of ports>" of "m=video 5000/2 ...", 0 when absent

  // Value of the first a=<name>[:value] line; "" for a flag attribute; nullopt when absent.
  std::optional<std::string_view> attribute(std::string_view name) const;
  std::vector<std::string_view> attributes(std::string_view name) const;
  void set_attribute(std::string_view name, std::string_view value);  // replaces or appends
  void remove_attribute(std::string_view name);
};

struct RtpMap {
  std::uint8_t payload_type = 0;
  std::string encoding;  // as written, e.g. "H264", "MPEG4-GENERIC", "opus"
  std::uint32_t clock_rate = 0;
  std::optional<unsigned> channels;
};

struct SdpLimits {
  std::size_t max_bytes = std::size_t{64} * 1024;
  std::size_t max_media = 16;
  std::size_t max_lines = 512;
};

struct SessionDescription {
  std::vector<Line> session;  // session-level lines in order (v=, o=, s=, c=, t=, a=, ...)
  std::vector<MediaDescription> media;

  // Requires v=0 first, "x=" lines with a lower-case letter, a parseable m= line per media.
  static Result<SessionDescription, std::string> parse(std::string_view text,
                                                       const SdpLimits& limits = {});
  std::string serialize() const;  // CRLF line ends

  std::optional<std::string_view> attribute(std::string_view name) const;  // session level
  void set_attribute(std::string_view name, std::string_view value);
  void remove_attribute(std::string_view name);
  void set_line(char type, std::string_view value);  // replaces the first such line or inserts it
};

// a=rtpmap / a=fmtp for a payload type of a media section.
std::optional<RtpMap> rtpmap_for(const MediaDescription& media, std::uint8_t payload_type);
std::optional<std::string> fmtp_for(const MediaDescription& media, std::uint8_t payload_type);
// One key of an fmtp parameter list "a=1;b=2" (keys compared case-insensitively).
std::optional<std::string> fmtp_parameter(std::string_view parameters, std::string_view key);

}  // namespace callcast::sdp
