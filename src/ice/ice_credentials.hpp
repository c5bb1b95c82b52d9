#pragma once
// The server's ICE username fragment and password for one WebRTC session (RFC 8445 §5.3), put in
// its SDP answer (a=ice-ufrag, a=ice-pwd; RFC 8839 §5.4). The browser keys its connectivity
// checks with the password, so it must be unguessable; the ufrag also names the session a check
// is for on the shared media port.
#include <string>

namespace callcast::ice {

struct IceCredentials {
  std::string ufrag;
  std::string password;

  // 8 ice-chars of ufrag (RFC 8839: at least 4) and 24 of password (at least 22, so at least 128
  // bits), from OpenSSL's RAND_bytes. ice-char = ALPHA / DIGIT / "+" / "/".
  static IceCredentials generate();

  friend bool operator==(const IceCredentials&, const IceCredentials&) = default;
};

// True when `text` is 1..256 ice-chars: what RFC 8839's grammar allows in a=ice-ufrag/ice-pwd
// (the minimum lengths are the caller's to check).
bool is_ice_chars(const std::string& text);

}  // namespace callcast::ice
