#include "dtls/srtp_key_material.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callcast::dtls::srtp_key_material_test {
namespace {

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Captured: `openssl s_client -dtls1_2 -use_srtp SRTP_AEAD_AES_128_GCM -keymatexport
// EXTRACTOR-dtls_srtp -keymatexportlen 56` (OpenSSL 3.0.19) against a DtlsTransport server on
// loopback; the server's keys() printed beside it. s_client's exporter is independent of our
// split, so a swapped client/server order here would not go unnoticed as it would between two
// DtlsTransports.
const std::string kGcmExporter =
    "ACCB6BBB11CDD743D7F4AEB0E5C81F2F"  // client key
    "BF300DB0B80D144AF48A3355AE5DAF5E"  // server key
    "B2C0E3A792020D805A78FDDB"          // client salt
    "772F492373BD4864E4CB667F";         // server salt
const std::string kGcmServerLocal = "BF300DB0B80D144AF48A3355AE5DAF5E772F492373BD4864E4CB667F";
const std::string kGcmServerRemote = "ACCB6BBB11CDD743D7F4AEB0E5C81F2FB2C0E3A792020D805A78FDDB";

// The same with -use_srtp SRTP_AES128_CM_SHA1_80 -keymatexportlen 60 (14-byte salts).
const std::string kCmExporter =
    "4D1AA5D28CEBA53A5E1F9D40CA7F34B9024DF82DBAAC166EB8ADF7747C7F0ED0"
    "920656D225E7454812676282C1772ADCB811D76DB9F6814F81772DBD";
const std::string kCmServerLocal = "024DF82DBAAC166EB8ADF7747C7F0ED02ADCB811D76DB9F6814F81772DBD";
const std::string kCmServerRemote = "4D1AA5D28CEBA53A5E1F9D40CA7F34B9920656D225E7454812676282C177";

TEST(SrtpKeyMaterial, ServerSplitMatchesTheCapturedGcmHandshake) {
  const auto material = from_hex(kGcmExporter);
  ASSERT_EQ(material.size(), srtp_exporter_length(SrtpProfile::aead_aes_128_gcm));
  const auto keys = srtp_key_material_from_exporter(SrtpProfile::aead_aes_128_gcm, false, material);
  EXPECT_EQ(keys.profile, SrtpProfile::aead_aes_128_gcm);
  EXPECT_EQ(keys.local_master_key_salt, from_hex(kGcmServerLocal));
  EXPECT_EQ(keys.remote_master_key_salt, from_hex(kGcmServerRemote));
}

TEST(SrtpKeyMaterial, ServerSplitMatchesTheCapturedCmHandshake) {
  const auto material = from_hex(kCmExporter);
  ASSERT_EQ(material.size(), srtp_exporter_length(SrtpProfile::aes128_cm_sha1_80));
  const auto keys =
      srtp_key_material_from_exporter(SrtpProfile::aes128_cm_sha1_80, false, material);
  EXPECT_EQ(keys.local_master_key_salt, from_hex(kCmServerLocal));
  EXPECT_EQ(keys.remote_master_key_salt, from_hex(kCmServerRemote));
}

TEST(SrtpKeyMaterial, ClientGetsTheMirrorImage) {
  const auto material = from_hex(kGcmExporter);
  const auto keys = srtp_key_material_from_exporter(SrtpProfile::aead_aes_128_gcm, true, material);
  EXPECT_EQ(keys.local_master_key_salt, from_hex(kGcmServerRemote));
  EXPECT_EQ(keys.remote_master_key_salt, from_hex(kGcmServerLocal));
}

}  // namespace
}  // namespace callcast::dtls::srtp_key_material_test
