#include "dtls/srtp_key_material.hpp"

#include <cassert>

namespace callcast::dtls {

SrtpKeyMaterial srtp_key_material_from_exporter(SrtpProfile profile, bool local_is_client,
                                                std::span<const std::uint8_t> material) {
  assert(material.size() == srtp_exporter_length(profile));
  const std::size_t key = master_key_length(profile);
  const std::size_t salt = master_salt_length(profile);
  auto key_salt = [&](bool client) {
    const auto key_bytes = material.subspan(client ? 0 : key, key);
    const auto salt_bytes = material.subspan(2 * key + (client ? 0 : salt), salt);
    std::vector<std::uint8_t> out(key_bytes.begin(), key_bytes.end());
    out.insert(out.end(), salt_bytes.begin(), salt_bytes.end());
    return out;
  };
  SrtpKeyMaterial keys;
  keys.profile = profile;
  keys.local_master_key_salt = key_salt(local_is_client);
  keys.remote_master_key_salt = key_salt(!local_is_client);
  return keys;
}

}  // namespace callcast::dtls
