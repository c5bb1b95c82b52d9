#include "sipwire/iptv_sdp.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include "sdp/session_description.hpp"

namespace callcast::sip {
namespace {

struct Authority {
  std::string host;  // without brackets
  std::uint16_t port = 554;
};

// Host and port of an rtsp:// URL; the RTSP default port when none is written.
Authority authority_of(std::string_view url) {
  Authority result;
  constexpr std::string_view scheme = "rtsp://";
  if (url.substr(0, scheme.size()) == scheme) url.remove_prefix(scheme.size());
  url = url.substr(0, url.find_first_of("/?"));
  std::string_view port_text;
  if (!url.empty() && url.front() == '[') {
    const auto close = url.find(']');
    result.host =
        std::string(url.substr(1, close == std::string_view::npos ? url.npos : close - 1));
    if (close != std::string_view::npos && close + 1 < url.size() && url[close + 1] == ':') {
      port_text = url.substr(close + 2);
    }
  } else {
    const auto colon = url.rfind(':');
    result.host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) port_text = url.substr(colon + 1);
  }
  std::uint16_t port = 0;
  const auto* end = port_text.data() + port_text.size();
  if (!port_text.empty() && std::from_chars(port_text.data(), end, port).ptr == end && port != 0) {
    result.port = port;
  }
  return result;
}

std::string connection_value(const std::string& host) {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(v6 ? "IN IP6 " : "IN IP4 ") + host;
}

bool offers_iptv(const sdp::MediaDescription& media) {
  return media.media == "application" && std::find(media.formats.begin(), media.formats.end(),
                                                   kIptvMediaFormat) != media.formats.end();
}

sdp::MediaDescription iptv_media(const Authority& where, const std::string& url, bool offer) {
  sdp::MediaDescription media;
  media.media = "application";
  media.port = offer ? 9 : where.port;
  media.proto = std::string(kIptvProto);
  media.formats = {std::string(kIptvMediaFormat)};
  if (!offer) media.lines.push_back({'c', connection_value(where.host)});
  // RFC 4145: the media side listens, the terminal connects.
  media.lines.push_back({'a', offer ? "setup:active" : "setup:passive"});
  if (!url.empty()) {
    media.lines.push_back({'a', "fmtp:" + std::string(kIptvMediaFormat) + " " +
                                    std::string(kHUriParameter) + "=" + url});
  }
  return media;
}

std::string_view direction_attribute(IptvDirection direction) {
  switch (direction) {
    case IptvDirection::sendonly:
      return "sendonly";
    case IptvDirection::recvonly:
      return "recvonly";
    case IptvDirection::unspecified:
      break;
  }
  return {};
}

// The direction a media section states, else the session's; sendrecv/inactive count as none.
IptvDirection direction_of(const sdp::SessionDescription& session,
                           const sdp::MediaDescription& media) {
  for (const auto& line : media.lines) {
    if (line.type != 'a') continue;
    if (line.value == "sendonly") return IptvDirection::sendonly;
    if (line.value == "recvonly") return IptvDirection::recvonly;
  }
  if (session.attribute("sendonly")) return IptvDirection::sendonly;
  if (session.attribute("recvonly")) return IptvDirection::recvonly;
  return IptvDirection::unspecified;
}

bool usable_iptv(const sdp::MediaDescription& media) {
  return offers_iptv(media) && media.proto == kIptvProto && media.port != 0;
}

sdp::SessionDescription session_skeleton(const Authority& where, std::uint64_t session_id) {
  sdp::SessionDescription description;
  const std::string id = std::to_string(session_id);
  description.session = {
      {'v', "0"},        {'o', "callcast " + id + " " + id + " " + connection_value(where.host)},
      {'s', "callcast"}, {'c', connection_value(where.host)},
      {'t', "0 0"},
  };
  return description;
}

}  // namespace

Result<std::string, SdpRejection> make_iptv_sdp(std::string_view offer,
                                                const IptvSdpParams& params) {
  const Authority where = authority_of(params.rtsp_url);
  sdp::SessionDescription answer = session_skeleton(where, params.session_id);
  answer.set_attribute(kSessionUriAttribute, params.rtsp_url);

  const bool has_offer = offer.find_first_not_of(" \t\r\n") != std::string_view::npos;
  if (!has_offer) {
    answer.media.push_back(iptv_media(where, params.rtsp_url, /*offer=*/false));
    return answer.serialize();
  }
  auto parsed = sdp::SessionDescription::parse(offer);
  if (!parsed) return fail(SdpRejection{"malformed SDP offer: " + parsed.error()});

  bool accepted = false;
  bool iptv_offered = false;
  for (const auto& offered : parsed->media) {
    const bool iptv = offers_iptv(offered);
    iptv_offered = iptv_offered || iptv;
    if (iptv && !accepted && usable_iptv(offered)) {
      sdp::MediaDescription accepted_line = iptv_media(where, params.rtsp_url, /*offer=*/false);
      // RFC 3264 §6.1: a sendonly stream is answered recvonly and the other way round.
      const IptvDirection offered_direction = direction_of(*parsed, offered);
      if (offered_direction != IptvDirection::unspecified) {
        accepted_line.lines.push_back(
            {'a', std::string(direction_attribute(offered_direction == IptvDirection::sendonly
                                                      ? IptvDirection::recvonly
                                                      : IptvDirection::sendonly))});
      }
      answer.media.push_back(std::move(accepted_line));
      accepted = true;
      continue;
    }
    // RFC 3264 §6: a rejected stream keeps its media and formats with port 0.
    sdp::MediaDescription rejected;
    rejected.media = offered.media;
    rejected.port = 0;
    rejected.proto = offered.proto;
    rejected.formats = offered.formats;
    answer.media.push_back(std::move(rejected));
  }
  if (iptv_offered && !accepted) {
    return fail(
        SdpRejection{"iptv_rtsp is only served over TCP (m=application <port> TCP "
                     "iptv_rtsp)"});
  }
  return answer.serialize();
}

std::string rtsp_uri_from_sdp(std::string_view text) {
  auto parsed = sdp::SessionDescription::parse(text);
  if (!parsed) return {};
  for (const auto& media : parsed->media) {
    if (!offers_iptv(media) || media.port == 0) continue;
    for (const auto value : media.attributes("fmtp")) {
      const auto space = value.find(' ');
      if (space == std::string_view::npos || value.substr(0, space) != kIptvMediaFormat) continue;
      // h-uri is the last parameter by convention, and an RTSP URL may itself hold ';'.
      const std::string key = std::string(kHUriParameter) + "=";
      const auto at = value.find(key, space);
      if (at != std::string_view::npos) return std::string(value.substr(at + key.size()));
    }
  }
  if (auto session = parsed->attribute(kSessionUriAttribute)) return std::string(*session);
  return {};
}

Result<IptvOfferSummary, SdpRejection> summarize_iptv_offer(std::string_view offer) {
  IptvOfferSummary summary;
  summary.has_offer = offer.find_first_not_of(" \t\r\n") != std::string_view::npos;
  if (!summary.has_offer) return summary;
  auto parsed = sdp::SessionDescription::parse(offer);
  if (!parsed) return fail(SdpRejection{"malformed SDP offer: " + parsed.error()});
  for (const auto& media : parsed->media) {
    if (!usable_iptv(media)) continue;
    summary.has_iptv = true;
    summary.direction = direction_of(*parsed, media);
    break;
  }
  return summary;
}

std::string make_iptv_offer(std::string_view host, IptvDirection direction) {
  const Authority where{std::string(host), 9};
  sdp::SessionDescription offer = session_skeleton(where, 0);
  sdp::MediaDescription media = iptv_media(where, {}, /*offer=*/true);
  if (direction != IptvDirection::unspecified) {
    media.lines.push_back({'a', std::string(direction_attribute(direction))});
  }
  offer.media.push_back(std::move(media));
  return offer.serialize();
}

}  // namespace callcast::sip
