#pragma once
// callcastd's configuration: defaults, then a TOML file, then command-line flags (apps/).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/host_port.hpp"
#include "core/result.hpp"

namespace callcast::core {

enum class Role { all, media, signaling };
Result<Role, std::string> parse_role(std::string_view text);
std::string_view to_string(Role role);

struct MediaConfig {
  HostPort rtsp{"127.0.0.1", 8554};
  PortPair rtp_ports{8000, 8001};
  std::string public_host;  // host written into RTSP URLs; empty = the RTSP listen host
  std::size_t max_groups = 1000;
  std::size_t max_viewers_per_group = 1000;
  std::size_t max_rtsp_message_bytes = std::size_t{16} * 1024;
  std::size_t max_rtsp_headers = 64;
  std::size_t max_connections = 4096;
  std::chrono::seconds session_timeout{60};
  std::chrono::seconds idle_timeout{10};  // a connection that never sends a request
  std::chrono::seconds publisher_grace{5};
  // A recording master that sends no RTP for this long is stalled (master_stalled). 2 s: well
  // above a live encoder's longest normal gap (a frame every 33-100 ms, audio every 20-23 ms, a
  // TCP retransmission or two at 200-400 ms each), short enough that viewers learn within a few
  // frozen frames; half of it is the lag beyond which a packet is stale and dropped.
  std::chrono::seconds publisher_stall{2};
  // Issue 15: an edge keeps pulling a group this long after its last viewer left, so that a
  // viewer arriving meanwhile (a player reconnecting, the next of an overflow) reuses the pull.
  std::chrono::seconds edge_linger{5};
  std::chrono::seconds token_ttl{3600};
  // A browser (WebRTC viewer or broadcaster) whose ICE connectivity checks stop for this long has
  // lost its consent (RFC 7675: 30 s) and its call ends. Browsers check every 4-6 s, so 10 s is
  // the least that survives a lost check or two; lower ends a killed browser's call sooner.
  std::chrono::seconds webrtc_consent_timeout{30};
  // Fan-out worker threads (step 709): 0 = one per CPU core this process may run on.
  std::size_t workers = 0;
  // UDP GSO (UDP_SEGMENT): a frame's same-size packets to one viewer in one send.
  bool udp_gso = true;
  // NACK repair (module 608): how long a relayed packet can be resent; 0 turns repair off. A
  // NACK is only useful while the viewer's jitter buffer still waits for the packet: callcast
  // watch plays 200 ms behind, ffmpeg's reorder queue waits 100 ms (and NACKs at most every
  // 200 ms), rtspsrc 2000 ms but it re-asks every round trip. 500 ms covers watch's buffer plus
  // a NACK round trip of 150 ms twice over, i.e. a retransmission that is lost again, and two
  // of ffmpeg's feedback intervals; longer only keeps packets for NACKs nobody can use.
  std::chrono::milliseconds rtx_window{500};
  // A viewer's retransmitted bytes per track are capped at this share of the track's bitrate
  // (token bucket). 10 % loss costs ~11 % (a repair lost again is asked for again); a path that
  // loses more than a quarter cannot carry the stream anyway.
  double rtx_max_share = 0.25;
  // Keyframe requests (PLI/FIR) from a group's viewers reach its master at most once per this:
  // a damaged picture lasts at most this plus a round trip, and the master forces at most one
  // IDR per interval whatever the audience (each costs several frames' bytes).
  std::chrono::milliseconds keyframe_request_interval{1000};
  // Bitrate control ([0091]): the master is asked for a lower rate (REMB) while at least this
  // share of the viewers that report are congested, and for more again once all are clear.
  bool rate_control = true;
  double congested_share = 0.5;
  // A congested minority of viewers gets keyframes and audio only until its path recovers,
  // instead of a broken picture (and instead of lowering everyone's rate). Congested means loss
  // that repair could not make whole, or a queue: random loss that NACKs repair is not.
  bool thinning = true;
  // A publisher on UDP (RTSP RECORD with UDP ports, a SIP phone) loses packets on its way to the
  // server, and every viewer then sees the damage: the server, as its receiver, NACKs the lost
  // video packets (RFC 4585), a few times within a second, then asks for a keyframe.
  bool publisher_nack = true;
  bool operator==(const MediaConfig&) const = default;
};

struct HttpConfig {
  HostPort listen{"127.0.0.1", 8080};
  std::string api_key;  // empty: the admin API only answers loopback clients
  // The Ut API's base URL as terminals reach it ("http://host:port"), told to broadcasters in
  // the 183/200 (Call-Info). Empty: the listen address, or the SIP host the terminal used when
  // the listen host is a wildcard.
  std::string public_url;
  // The built browser pages (issue 14: web/dist, `make web`) served at /, /watch, /broadcast
  // and /assets/. Empty: the source tree's web/dist when it exists (compiled in), else none.
  std::string web_root;
  bool operator==(const HttpConfig&) const = default;
};

struct SipConfig {
  HostPort listen{"127.0.0.1", 5060};  // UDP and TCP
  std::string service_number = "777";
  // Digest realm of SIP and of the Ut API; the users file's HA1 hashes are bound to it.
  std::string realm = "callcast";
  // number:realm:md5-ha1:sha256-ha1 lines, written by `callcastd user add`.
  std::string users_file = "callcast-users";
  // Forwarding rules (Ut), an SQLite database: they survive restarts.
  std::string forwarding_db = "callcast-forwarding.sqlite";
  // Role signaling: base URL of the media role's HTTP control API, e.g. http://127.0.0.1:8080.
  std::string media_url;
  // Bearer key for media_url's admin API (the media role's http.api_key); empty: none sent.
  std::string media_api_key;
  // 706-707: how long the service number waits for the master's RTSP RECORD before 408.
  std::chrono::seconds master_join_timeout{15};
  // 713-714: an answered viewer call whose media does not start within this (an RTSP terminal's
  // PLAY; a phone's RTP starts before its 200) is ended with a BYE saying why (issue 13).
  std::chrono::seconds viewer_media_start_timeout{15};
  // 708 ([0154]) for terminals that never call the Ut API (SIP phones): a broadcast from a
  // number without a forwarding rule of its own forwards it to the service number while it
  // lasts. Off: forwarding is the terminal's business alone (its Ut PUT and DELETE).
  bool auto_forwarding = true;
  std::chrono::seconds nonce_ttl{300};
  // Digest algorithms offered in SIP challenges, most preferred first ("SHA-256", "MD5";
  // RFC 8760). MD5 alone by default: sofia-sip's client fails on a 401 that holds any SHA-256
  // challenge and sipsak reads only the first, as do many deployed phones. A deployment of
  // SHA-256 clients sets ["SHA-256", "MD5"].
  std::vector<std::string> digest_algorithms{"MD5"};
  // The same for the Ut API over HTTP. MD5 first: simple clients (Python's urllib digest
  // handler) read only the first challenge and know no SHA-256; those that choose among several
  // (curl takes the first it reads, browsers the strongest) still get SHA-256 when they want it.
  std::vector<std::string> ut_digest_algorithms{"MD5", "SHA-256"};
  std::chrono::seconds min_expires{60};    // shorter REGISTER expiries get 423
  std::chrono::seconds max_expires{3600};  // longer ones are cut down to this
  std::size_t max_registrations = 10000;   // bindings in all; beyond: 503 + Retry-After
  std::size_t max_contacts_per_user = 10;
  std::size_t max_calls = 2000;  // dialogs in progress or up; beyond: 503
  // IP addresses of the SIP proxies in front of this node (Kamailio, issue 15). A request one of
  // them relayed tells where its terminal is in the Via below the proxy's (the proxy's received
  // and rport there), not in its own: a phone's media address and NAT come from there. Empty:
  // requests come straight from terminals.
  std::vector<std::string> trusted_proxies;
  bool operator==(const SipConfig&) const = default;
};

// Issue 15: nodes sharing their directory, group locations, forwarding rules and events on one
// Redis. Empty redis_url: this callcastd is the whole service on its own (SQLite and memory, no
// Redis needed), as before.
struct ClusterConfig {
  // "tcp://HOST:PORT" (PORT defaults to 6379); parse_redis_url reads it.
  std::string redis_url;
  // This node's name in the cluster's keys and events; 1-64 characters of [0-9A-Za-z._:-].
  // Empty: default_node_id(), this host's name and HTTP port, resolved at start.
  std::string node_id;
  // A media node's entry lives this long unless refreshed (every third of it): a node that stops
  // refreshing is out of placement within it. 6 s: two refreshes may be lost before it goes.
  std::chrono::milliseconds media_node_ttl{6000};
  // A live group's location key lives this long unless renewed (by its media node, every third
  // of it): the longest a dead node's groups keep pointing at it.
  std::chrono::milliseconds group_ttl{10000};
  // Viewers a media node takes before new ones go to another node (an edge, issue 15).
  std::size_t max_viewers_per_node = 1000;
  // A media node: the host other nodes reach its admin API at (its entry in the directory).
  // Empty: http.listen's host, which then must not be a wildcard (0.0.0.0, ::).
  std::string advertise_host;
  bool enabled() const { return !redis_url.empty(); }
  bool operator==(const ClusterConfig&) const = default;
};

// "tcp://10.0.0.5:6379" -> {10.0.0.5, 6379}; "tcp://redis" -> port 6379. Anything else (redis://,
// unix://, a path, a user) is an error saying what is accepted.
Result<HostPort, std::string> parse_redis_url(std::string_view url);
// 1-64 characters of [0-9A-Za-z._:-]: no spaces, '*' or '?' (it is part of Redis keys that are
// SCANned with MATCH) and nothing a log line would misread.
bool is_valid_node_id(std::string_view id);
// "<hostname>:<port>" with the host name cut to what is_valid_node_id accepts.
std::string default_node_id(std::string_view hostname, std::uint16_t port);

struct Config {
  Role role = Role::all;
  MediaConfig media;
  HttpConfig http;
  SipConfig sip;
  ClusterConfig cluster;
  std::string token_secret;  // empty: a random one is generated at start
  std::string log_level = "info";
  bool operator==(const Config&) const = default;
};

// Parses TOML text over `base`. Unknown keys and wrong types are errors naming the key, so a typo
// never silently falls back to a default.
Result<Config, std::string> parse_config_toml(std::string_view text, Config base = {});
Result<Config, std::string> load_config_file(const std::filesystem::path& path, Config base = {});

}  // namespace callcast::core
