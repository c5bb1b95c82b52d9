#pragma once
// The real browser offers of tests/unit/webrtc/offers/ (see its README), read for the tests.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "webrtc/webrtc_offer.hpp"

namespace callcast::webrtc::testing {

inline constexpr const char* kWhepOffer = "chromium156_whep_recvonly.sdp";
inline constexpr const char* kWhipOffer = "chromium156_whip_sendonly.sdp";
inline constexpr const char* kGstreamerWhipOffer = "gstreamer122_whip_sendonly.sdp";

inline std::string offer_text(const std::string& name) {
  std::ifstream file(std::string(CALLCAST_WEBRTC_OFFERS) + "/" + name, std::ios::binary);
  EXPECT_TRUE(file) << "no fixture " << name;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

inline WebRtcOffer real_offer(const std::string& name) {
  auto offer = parse_webrtc_offer(offer_text(name));
  EXPECT_TRUE(offer) << offer.error();
  return offer ? std::move(offer).value() : WebRtcOffer{};
}

}  // namespace callcast::webrtc::testing
