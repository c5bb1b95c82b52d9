#include "core/config_options.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <system_error>

#include "core/group_registry.hpp"

namespace callcast::core {

namespace {

using Error = std::optional<std::string>;

Error read_host_port_option(std::string_view value, HostPort& out) {
  auto parsed = parse_host_port(value);
  if (!parsed) return parsed.error();
  out = std::move(parsed).value();
  return std::nullopt;
}

// 0-256 threads, as the config file's media.workers.
Error read_workers(std::string_view value, std::size_t& out) {
  unsigned number = 0;
  const char* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, number);
  if (value.empty() || ec != std::errc{} || ptr != end || number > 256) {
    return "expected a number of threads from 0 to 256, got " + in_quotes(value);
  }
  out = number;
  return std::nullopt;
}

// 0-10000 ms, as the config file's media.rtx_window_ms.
Error read_window_ms(std::string_view value, std::chrono::milliseconds& out) {
  unsigned number = 0;
  const char* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, number);
  if (value.empty() || ec != std::errc{} || ptr != end || number > 10000) {
    return "expected milliseconds from 0 to 10000, got " + in_quotes(value);
  }
  out = std::chrono::milliseconds{number};
  return std::nullopt;
}

constexpr std::array kOptions{
    ConfigOption{"--role", "role", "all | media | signaling",
                 [](const Config& c) { return std::string(to_string(c.role)); },
                 [](std::string_view v, Config& c) -> Error {
                   auto role = parse_role(v);
                   if (!role) return role.error();
                   c.role = *role;
                   return std::nullopt;
                 }},
    ConfigOption{
        "--rtsp", "media.rtsp", "RTSP listen address",
        [](const Config& c) { return to_string(c.media.rtsp); },
        [](std::string_view v, Config& c) { return read_host_port_option(v, c.media.rtsp); }},
    ConfigOption{
        "--http", "http.listen", "HTTP address of the Ut, admin and control API",
        [](const Config& c) { return to_string(c.http.listen); },
        [](std::string_view v, Config& c) { return read_host_port_option(v, c.http.listen); }},
    ConfigOption{"--rtp-ports", "media.rtp_ports", "server RTP-RTCP UDP ports; 0-0 = any",
                 [](const Config& c) { return to_string(c.media.rtp_ports); },
                 [](std::string_view v, Config& c) -> Error {
                   auto ports = parse_port_pair(v);
                   if (!ports) return ports.error();
                   c.media.rtp_ports = *ports;
                   return std::nullopt;
                 }},
    ConfigOption{
        "--sip", "sip.listen", "SIP listen address, UDP and TCP; port 0 = any",
        [](const Config& c) { return to_string(c.sip.listen); },
        [](std::string_view v, Config& c) { return read_host_port_option(v, c.sip.listen); }},
    ConfigOption{"--workers", "media.workers", "fan-out worker threads; 0 = one per CPU core",
                 [](const Config& c) { return std::to_string(c.media.workers); },
                 [](std::string_view v, Config& c) { return read_workers(v, c.media.workers); }},
    ConfigOption{
        "--rtx-window-ms", "media.rtx_window_ms",
        "how long relayed packets can be resent to viewers that NACK them; 0 = no repair",
        [](const Config& c) { return std::to_string(c.media.rtx_window.count()); },
        [](std::string_view v, Config& c) { return read_window_ms(v, c.media.rtx_window); }},
    ConfigOption{"--public-host", "media.public_host",
                 "host written into RTSP URLs and SDP; empty: the RTSP host, or for 0.0.0.0/:: "
                 "the address toward the default route or the only non-loopback one",
                 [](const Config& c) { return c.media.public_host; },
                 [](std::string_view v, Config& c) -> Error {
                   c.media.public_host = std::string(v);
                   return std::nullopt;
                 }},
    ConfigOption{"--media-url", "sip.media_url",
                 "role signaling: the media role's HTTP API, e.g. http://127.0.0.1:8080",
                 [](const Config& c) { return c.sip.media_url; },
                 [](std::string_view v, Config& c) -> Error {
                   c.sip.media_url = std::string(v);
                   return std::nullopt;
                 }},
    ConfigOption{"--redis-url", "cluster.redis_url",
                 "the cluster's Redis, tcp://HOST:PORT; empty: a single node, no Redis",
                 [](const Config& c) { return c.cluster.redis_url; },
                 [](std::string_view v, Config& c) -> Error {
                   if (!v.empty()) {
                     if (auto parsed = parse_redis_url(v); !parsed) return parsed.error();
                   }
                   c.cluster.redis_url = std::string(v);
                   return std::nullopt;
                 }},
    ConfigOption{"--node-id", "cluster.node_id",
                 "this node's name in the cluster; empty: this host's name and HTTP port",
                 [](const Config& c) { return c.cluster.node_id; },
                 [](std::string_view v, Config& c) -> Error {
                   if (!v.empty() && !is_valid_node_id(v)) {
                     return "invalid node id " + in_quotes(v) +
                            " (1-64 characters of [0-9A-Za-z._:-])";
                   }
                   c.cluster.node_id = std::string(v);
                   return std::nullopt;
                 }},
    ConfigOption{"--advertise-host", "cluster.advertise_host",
                 "a media node's host as other nodes reach its HTTP API; empty: http.listen's",
                 [](const Config& c) { return c.cluster.advertise_host; },
                 [](std::string_view v, Config& c) -> Error {
                   c.cluster.advertise_host = std::string(v);
                   return std::nullopt;
                 }},
    ConfigOption{"--users", "sip.users_file", "users file",
                 [](const Config& c) { return c.sip.users_file; },
                 [](std::string_view v, Config& c) -> Error {
                   c.sip.users_file = std::string(v);
                   return std::nullopt;
                 }},
    ConfigOption{"--forwarding-db", "sip.forwarding_db", "forwarding rules database",
                 [](const Config& c) { return c.sip.forwarding_db; },
                 [](std::string_view v, Config& c) -> Error {
                   c.sip.forwarding_db = std::string(v);
                   return std::nullopt;
                 }},
    ConfigOption{"--service-number", "sip.service_number", "the number terminals call to broadcast",
                 [](const Config& c) { return c.sip.service_number; },
                 [](std::string_view v, Config& c) -> Error {
                   if (!is_valid_number(v)) return "invalid number " + in_quotes(v);
                   c.sip.service_number = std::string(v);
                   return std::nullopt;
                 }},
    ConfigOption{"--log-level", "log_level", "trace | debug | info | warn | error",
                 [](const Config& c) { return c.log_level; },
                 [](std::string_view v, Config& c) -> Error {
                   c.log_level = std::string(v);
                   return std::nullopt;
                 }},
};

}  // namespace

std::string ConfigOption::help_text(const Config& defaults) const {
  const std::string value = show(defaults);
  std::string text(help);
  text.append(" (").append(key).append(", default ");
  text.append(value.empty() ? std::string("none") : value).append(")");
  return text;
}

std::span<const ConfigOption> config_options() {
  return kOptions;
}

Result<bool, std::string> apply_flag(const ConfigOption& option, std::string_view value,
                                     Config& config) {
  if (auto error = option.apply(value, config)) {
    return fail(std::string(option.flag) + ": " + *error);
  }
  return true;
}

}  // namespace callcast::core
