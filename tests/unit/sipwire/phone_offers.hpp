#pragma once
// The real offers of tests/unit/sipwire/offers/ (see its README), read for the tests.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "sipwire/phone_offer.hpp"

namespace callcast::sip::testing {

inline std::string offer_text(const std::string& name) {
  std::ifstream file(std::string(CALLCAST_PHONE_OFFERS) + "/" + name, std::ios::binary);
  EXPECT_TRUE(file) << "no fixture " << name;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

inline PhoneOffer offer_from(const std::string& text) {
  auto offer = parse_phone_offer(text);
  EXPECT_TRUE(offer) << offer.error();
  return offer ? *offer : PhoneOffer{};
}

inline PhoneOffer real_offer(const std::string& name) {
  return offer_from(offer_text(name));
}

}  // namespace callcast::sip::testing
