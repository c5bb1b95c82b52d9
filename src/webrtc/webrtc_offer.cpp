#include "webrtc/webrtc_offer.hpp"

#include <algorithm>
#include <charconv>

#include "sipwire/phone_offer.hpp"

namespace callcast::webrtc {
namespace {

bool offer_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) {
             return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

template <class Number>
std::optional<Number> offer_number(std::string_view text, Number max) {
  Number value{};
  const auto* end = text.data() + text.size();
  if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value > max) return std::nullopt;
  return value;
}

std::vector<std::string_view> offer_words(std::string_view text) {
  std::vector<std::string_view> words;
  while (true) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
      text.remove_prefix(1);
    if (text.empty()) return words;
    const auto end = text.find_first_of(" \t");
    words.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return words;
    text.remove_prefix(end);
  }
}

// For error messages: at most 60 characters of what the browser wrote.
std::string offer_quoted(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out = "'" + std::string(text.substr(0, kMax));
  if (text.size() > kMax) out += "...";
  return out + "'";
}

// RFC 8122 §5: the hash as upper- or lower-case hex byte pairs joined by colons; sha-256 has 32.
bool offer_is_sha256_hex(std::string_view value) {
  constexpr std::size_t kBytes = 32;
  if (value.size() != kBytes * 3 - 1) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

// The values of every session-level a=<name>[:value] (sdp::SessionDescription gives the first).
std::vector<std::string_view> session_attributes(const sdp::SessionDescription& session,
                                                 std::string_view name) {
  std::vector<std::string_view> values;
  for (const auto& line : session.session) {
    const std::string_view value = line.value;
    if (line.type != 'a' || value.substr(0, name.size()) != name) continue;
    if (value.size() == name.size()) {
      values.push_back(value.substr(name.size()));
    } else if (value[name.size()] == ':') {
      values.push_back(value.substr(name.size() + 1));
    }
  }
  return values;
}

std::optional<std::string_view> offer_attribute(const sdp::MediaDescription& section,
                                                const sdp::SessionDescription& session,
                                                std::string_view name) {
  if (auto value = section.attribute(name)) return value;
  return session.attribute(name);
}

// a=fingerprint:<hash function> <hash>, possibly several (one per algorithm); we check sha-256
// (RFC 8827 §6.5 makes it the one every browser offers).
Result<std::optional<std::string_view>, std::string> sha256_fingerprint_in(
    const std::vector<std::string_view>& values, const std::string& where) {
  for (const auto value : values) {
    const auto words = offer_words(value);
    if (words.size() != 2) {
      return fail(where + ": a=fingerprint:" + offer_quoted(value) + " is malformed");
    }
    if (!offer_iequals(words[0], "sha-256")) continue;
    if (!offer_is_sha256_hex(words[1])) {
      return fail(where + ": a=fingerprint:" + offer_quoted(value) +
                  " is not 32 hex bytes joined by ':'");
    }
    return std::optional<std::string_view>(words[1]);
  }
  return std::optional<std::string_view>();
}

// a=ssrc:<ssrc-id> <attribute>[:<value>] (RFC 5576 §4.1) and a=ssrc-group:FID <media> <rtx>
// (RFC 5576 §4.2, RFC 4588 §8.1).
Result<bool, std::string> read_ssrcs(const sdp::MediaDescription& section, const std::string& where,
                                     OfferedMedia& media) {
  for (const auto value : section.attributes("ssrc")) {
    const auto words = offer_words(value);
    const auto ssrc =
        words.empty() ? std::nullopt : offer_number<std::uint32_t>(words[0], UINT32_MAX);
    if (!ssrc) return fail(where + ": a=ssrc:" + offer_quoted(value) + " names no SSRC");
    if (std::find(media.ssrcs.begin(), media.ssrcs.end(), *ssrc) == media.ssrcs.end()) {
      media.ssrcs.push_back(*ssrc);
    }
  }
  for (const auto value : section.attributes("ssrc-group")) {
    const auto words = offer_words(value);
    if (words.empty() || words[0] != "FID" || media.fid) continue;  // SIM, FEC-FR: not used
    const auto primary =
        words.size() == 3 ? offer_number<std::uint32_t>(words[1], UINT32_MAX) : std::nullopt;
    const auto repair =
        words.size() == 3 ? offer_number<std::uint32_t>(words[2], UINT32_MAX) : std::nullopt;
    if (!primary || !repair) {
      return fail(where + ": a=ssrc-group:" + offer_quoted(value) + " is not 'FID <ssrc> <ssrc>'");
    }
    media.fid = std::make_pair(*primary, *repair);
  }
  return true;
}

// a=extmap:<id>[/<direction>] <URI> [<attributes>] (RFC 8285 §8): ids 1-14 one-byte, to 255
// two-byte headers.
Result<bool, std::string> read_extmaps(const sdp::MediaDescription& section,
                                       const std::string& where, OfferedMedia& media) {
  for (const auto value : section.attributes("extmap")) {
    const auto words = offer_words(value);
    const auto id_text =
        words.empty() ? std::string_view() : words[0].substr(0, words[0].find('/'));
    const auto id = offer_number<int>(id_text, 255);
    if (words.size() < 2 || !id || *id == 0) {
      return fail(where + ": a=extmap:" + offer_quoted(value) + " is not '<1-255> <URI>'");
    }
    media.extmaps.emplace_back(*id, std::string(words[1]));
  }
  return true;
}

// The rtx formats (RFC 4588 §8.1: rtx/<clock> with apt=<original type>) become the
// rtx_payload_type of their original; an rtx format whose apt names no offered type is dropped.
void fold_codecs(const sip::OfferedMedia& phone, OfferedMedia& media) {
  for (const auto& format : phone.formats) {
    if (format.is("rtx")) continue;
    OfferedCodec codec;
    codec.payload_type = format.payload_type;
    codec.encoding = format.encoding;
    codec.clock_rate = format.clock_rate;
    codec.channels = format.channels;
    codec.fmtp = format.fmtp;
    for (const auto& feedback : format.feedback)
      codec.feedback.push_back(sip::to_string(feedback));
    media.codecs.push_back(std::move(codec));
  }
  for (const auto& format : phone.formats) {
    if (!format.is("rtx")) continue;
    const auto apt_text = sdp::fmtp_parameter(format.fmtp, "apt");
    const auto apt = apt_text ? offer_number<unsigned>(*apt_text, 127) : std::nullopt;
    if (!apt) continue;
    for (auto& codec : media.codecs) {
      if (codec.payload_type == *apt && !codec.rtx_payload_type) {
        codec.rtx_payload_type = format.payload_type;
        break;
      }
    }
  }
}

std::string kind_of(std::string_view media) {
  return (media == "audio" || media == "video") ? std::string(media) : std::string("other");
}

Result<OfferedMedia, std::string> read_webrtc_media(const sdp::SessionDescription& session,
                                                    const sdp::MediaDescription& section,
                                                    const sip::OfferedMedia& phone,
                                                    std::size_t index) {
  const std::string where = "m=" + section.media + " (media " + std::to_string(index + 1) + ")";
  OfferedMedia media;
  media.kind = kind_of(section.media);
  media.mid = std::string(section.attribute("mid").value_or(""));
  media.direction = std::string(sip::direction_name(phone.direction));
  media.rtcp_mux = phone.rtcp_mux;
  media.rtcp_rsize = section.attribute("rtcp-rsize").has_value();
  // RFC 8843 §7.5: port 0 with a=bundle-only is a line offered inside the bundle, not a refusal.
  media.rejected = section.port == 0 && !section.attribute("bundle-only").has_value();
  fold_codecs(phone, media);
  if (auto ssrcs = read_ssrcs(section, where, media); !ssrcs) return fail(ssrcs.error());
  if (auto extmaps = read_extmaps(section, where, media); !extmaps) return fail(extmaps.error());

  media.ice_ufrag = std::string(offer_attribute(section, session, "ice-ufrag").value_or(""));
  media.ice_pwd = std::string(offer_attribute(section, session, "ice-pwd").value_or(""));
  media.setup = std::string(offer_attribute(section, session, "setup").value_or(""));
  auto fingerprint = sha256_fingerprint_in(section.attributes("fingerprint"), where);
  if (!fingerprint) return fail(fingerprint.error());
  if (!*fingerprint) {
    fingerprint = sha256_fingerprint_in(session_attributes(session, "fingerprint"), "the session");
    if (!fingerprint) return fail(fingerprint.error());
  }
  if (*fingerprint) {
    media.fingerprint_algorithm = "sha-256";
    media.fingerprint = std::string(**fingerprint);
  }
  if (media.rejected) return media;

  // What the server's one transport needs of every line it would answer.
  const bool rtp = media.kind != "other";
  if (media.mid.empty()) return fail(where + " has no a=mid, which BUNDLE needs");
  if (rtp && section.proto != "UDP/TLS/RTP/SAVPF") {
    return fail(where + " is " + offer_quoted(section.proto) +
                ", not UDP/TLS/RTP/SAVPF (DTLS-SRTP over UDP)");
  }
  if (rtp && !media.rtcp_mux) {
    return fail(where + " has no a=rtcp-mux: the server sends RTCP on the RTP port only");
  }
  if (media.ice_ufrag.empty() || media.ice_pwd.empty()) {
    return fail(where + " has no a=ice-ufrag and a=ice-pwd, neither its own nor the session's");
  }
  if (media.fingerprint.empty()) {
    return fail(where + " has no a=fingerprint:sha-256, neither its own nor the session's");
  }
  if (media.setup != "actpass" && media.setup != "active") {
    return fail(where + " has a=setup:" + offer_quoted(media.setup) +
                ", not actpass or active: the server is always the DTLS server (passive)");
  }
  return media;
}

// The one a=group:BUNDLE every used line must be in: the server answers on one 5-tuple.
Result<std::vector<std::string>, std::string> bundle_group_of(
    const sdp::SessionDescription& session) {
  std::optional<std::vector<std::string>> group;
  for (const auto value : session_attributes(session, "group")) {
    const auto words = offer_words(value);
    if (words.empty() || words[0] != "BUNDLE") continue;
    if (group)
      return fail(
          std::string("the offer has two a=group:BUNDLE lines; the server only"
                      " bundles everything on one transport (max-bundle)"));
    group.emplace();
    for (std::size_t i = 1; i < words.size(); ++i)
      group->emplace_back(words[i]);
  }
  if (!group || group->empty()) {
    return fail(
        std::string("the offer has no a=group:BUNDLE; the server only bundles"
                    " everything on one transport (max-bundle)"));
  }
  return std::move(*group);
}

}  // namespace

const OfferedCodec* OfferedMedia::codec_named(std::string_view name) const {
  for (const auto& codec : codecs) {
    if (offer_iequals(codec.encoding, name)) return &codec;
  }
  return nullptr;
}

Result<WebRtcOffer, std::string> parse_webrtc_offer(std::string_view text) {
  auto description = sdp::SessionDescription::parse(text);
  if (!description) return fail("the offer is not SDP: " + description.error());
  // Browsers offer many formats with many a=rtcp-fb each (Chromium 156: 34 and 90 on m=video).
  sip::PhoneOfferLimits limits;
  limits.max_formats = 128;
  limits.max_feedback = 512;
  auto phone = sip::parse_phone_offer(text, limits);
  if (!phone) return fail(phone.error());

  WebRtcOffer offer;
  for (std::size_t i = 0; i < description->media.size(); ++i) {
    auto media = read_webrtc_media(*description, description->media[i], phone->media.at(i), i);
    if (!media) return fail(media.error());
    offer.media.push_back(std::move(media).value());
  }

  auto group = bundle_group_of(*description);
  if (!group) return fail(group.error());
  offer.bundle_mids = std::move(group).value();

  const OfferedMedia* first = nullptr;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const auto& media = offer.media[i];
    if (media.rejected) continue;
    const std::string where =
        "m=" + description->media[i].media + " (media " + std::to_string(i + 1) + ")";
    if (std::find(offer.bundle_mids.begin(), offer.bundle_mids.end(), media.mid) ==
        offer.bundle_mids.end()) {
      return fail(where + " (mid " + offer_quoted(media.mid) +
                  ") is not in the a=group:BUNDLE; the server only bundles everything on one"
                  " transport (max-bundle)");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (!offer.media[j].mid.empty() && offer.media[j].mid == media.mid) {
        return fail(where + " repeats mid " + offer_quoted(media.mid));
      }
    }
    if (!first) {
      first = &media;
    } else if (media.ice_ufrag != first->ice_ufrag || media.ice_pwd != first->ice_pwd ||
               !offer_iequals(media.fingerprint, first->fingerprint)) {
      return fail(where +
                  " has other ICE credentials or another fingerprint than the first"
                  " bundled line: one transport has one of each");
    }
  }
  if (!first) return fail(std::string("the offer has no m= line in use"));
  offer.sdp = std::move(description).value();
  return offer;
}

}  // namespace callcast::webrtc
