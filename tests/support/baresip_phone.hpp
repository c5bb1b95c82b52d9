#pragma once
// Debian's baresip (with baresip-ffmpeg for H.264) as a real SIP video phone in the end-to-end
// tests (issue 13), headless: no sound card (audio through its bridge module), no window (its
// fakevideo display counts what it decodes and says so on stdout). It registers nothing, dials
// one number at start and quits after a while, hanging up first.
#include <cstdint>
#include <filesystem>
#include <string>

#include "support/child_process.hpp"

namespace callcast::test {

struct BaresipPhone {
  std::filesystem::path dir;  // its config directory (created)
  std::string number;         // its account: sip:number@domain, digest password
  std::string password;
  std::string domain;  // host:port of callcastd's SIP
  std::string dial;    // the number it calls
  int quit_after_s = 6;
  // A broadcasting phone sends this video file as its camera (baresip's avformat source decodes
  // it; its avcodec module encodes H.264 with libx264) and a 440 Hz tone as its microphone; empty:
  // it sends nothing of its own.
  std::filesystem::path camera_file;
  std::string listen_address = "127.0.0.1";  // its SIP address (a lab host's own, in a netns)
  // RTCP on the RTP port (RFC 5761, baresip's rtcp_mux): behind a NAT, a phone that only receives
  // then opens its RTP port with its receiver reports, so that the NAT lets the media in.
  bool rtcp_mux = false;
};

// A free UDP port on the loopback for a phone's SIP (taken by the phone right after).
std::uint16_t free_loopback_udp_port();

// Writes its config and returns its command line (stdout/stderr in dir/stdout.log, stderr.log).
ChildOptions baresip_phone(const BaresipPhone& phone);

// A moving test pattern (testsrc2 640x360 at 25 fps, `seconds` long) for `camera_file`, made by
// ffmpeg; false when ffmpeg failed.
bool make_camera_file(const std::filesystem::path& file, int seconds);

// "" when baresip and its H.264 module are installed, else what to install.
std::string baresip_missing();

}  // namespace callcast::test
