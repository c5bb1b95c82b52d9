#include "core/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "core/group_registry.hpp"

// The TOML schema is documented, key by key, in config/callcastd.example.toml. Every key is
// optional; a missing key keeps the value of `base`.

namespace callcast::core {

namespace {

// An error message, or nullopt when the value was accepted.
using Status = std::optional<std::string>;

constexpr std::array<std::string_view, 5> kLogLevels{"trace", "debug", "info", "warn", "error"};

bool is_valid_log_level(std::string_view level) {
  for (std::string_view known : kLogLevels) {
    if (level == known) return true;
  }
  return false;
}

// Upper bounds keep arithmetic on the values (deadlines, buffer sizes) far from overflow.
constexpr std::int64_t kMaxCount = 100'000'000;
constexpr std::int64_t kMinRtspMessageBytes = 1024;
constexpr std::int64_t kMaxRtspMessageBytes = std::int64_t{64} * 1024 * 1024;
constexpr std::int64_t kMaxSeconds = std::int64_t{365} * 24 * 3600;
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{1024} * 1024;

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "an unknown type";
}

std::string position(const toml::source_position& where) {
  if (where.line == 0) return {};
  return "line " + std::to_string(where.line) + ", column " + std::to_string(where.column) + ": ";
}

std::string at(const toml::node& node, std::string_view message) {
  return position(node.source().begin) + std::string(message);
}

std::string wrong_type(const toml::node& node, const std::string& key, std::string_view expected) {
  return at(node, key + ": expected " + std::string(expected) + ", got " +
                      std::string(type_name(node.type())));
}

Status read_string(const toml::node& node, const std::string& key, std::string& out) {
  const auto* value = node.as_string();
  if (value == nullptr) return wrong_type(node, key, "a string");
  out = value->get();
  return std::nullopt;
}

Status read_bool(const toml::node& node, const std::string& key, bool& out) {
  const auto* value = node.as_boolean();
  if (value == nullptr) return wrong_type(node, key, "true or false");
  out = value->get();
  return std::nullopt;
}

Status read_integer(const toml::node& node, const std::string& key, std::int64_t min,
                    std::int64_t max, std::int64_t& out) {
  const auto* value = node.as_integer();
  if (value == nullptr) return wrong_type(node, key, "an integer");
  const std::int64_t number = value->get();
  if (number < min || number > max) {
    return at(node, key + ": must be between " + std::to_string(min) + " and " +
                        std::to_string(max) + ", got " + std::to_string(number));
  }
  out = number;
  return std::nullopt;
}

Status read_count(const toml::node& node, const std::string& key, std::int64_t min,
                  std::size_t& out) {
  std::int64_t number = 0;
  if (auto error = read_integer(node, key, min, kMaxCount, number)) return error;
  out = static_cast<std::size_t>(number);
  return std::nullopt;
}

// A share 0..1: a float, or the integers 0 and 1.
Status read_share(const toml::node& node, const std::string& key, double& out) {
  double value = 0;
  if (const auto* number = node.as_floating_point()) {
    value = number->get();
  } else if (const auto* integer = node.as_integer()) {
    value = static_cast<double>(integer->get());
  } else {
    return wrong_type(node, key, "a number from 0 to 1");
  }
  if (!(value >= 0 && value <= 1)) {
    return at(node, key + ": must be between 0 and 1, got " + std::to_string(value));
  }
  out = value;
  return std::nullopt;
}

Status read_seconds(const toml::node& node, const std::string& key, std::chrono::seconds& out) {
  std::int64_t number = 0;
  if (auto error = read_integer(node, key, 1, kMaxSeconds, number)) return error;
  out = std::chrono::seconds{number};
  return std::nullopt;
}

Status read_host_port(const toml::node& node, const std::string& key, HostPort& out) {
  std::string text;
  if (auto error = read_string(node, key, text)) return error;
  auto parsed = parse_host_port(text);
  if (!parsed) return at(node, key + ": " + parsed.error());
  out = std::move(parsed).value();
  return std::nullopt;
}

Status unknown_key(const toml::node& node, const std::string& key) {
  return at(node, "unknown key " + key);
}

const toml::table* as_section(const toml::node& node, const std::string& key, Status& error) {
  const auto* table = node.as_table();
  if (table == nullptr) error = wrong_type(node, key, "a table");
  return table;
}

Status apply_media(const toml::table& table, MediaConfig& media) {
  for (const auto& [name, node] : table) {
    const std::string key = "media." + std::string(name.str());
    const std::string_view n = name.str();
    Status error;
    if (n == "rtsp") {
      error = read_host_port(node, key, media.rtsp);
    } else if (n == "rtp_ports") {
      std::string text;
      error = read_string(node, key, text);
      if (!error) {
        auto ports = parse_port_pair(text);
        if (ports) {
          media.rtp_ports = *ports;
        } else {
          error = at(node, key + ": " + ports.error());
        }
      }
    } else if (n == "public_host") {
      std::string host;
      error = read_string(node, key, host);
      if (!error && !host.empty() && !is_valid_host(host) && !is_valid_ipv6_host(host)) {
        error = at(node, key + ": invalid host " + in_quotes(host));
      }
      if (!error) media.public_host = std::move(host);
    } else if (n == "max_groups") {
      error = read_count(node, key, 1, media.max_groups);
    } else if (n == "max_viewers_per_group") {
      error = read_count(node, key, 1, media.max_viewers_per_group);
    } else if (n == "max_rtsp_message_bytes") {
      std::int64_t bytes = 0;
      error = read_integer(node, key, kMinRtspMessageBytes, kMaxRtspMessageBytes, bytes);
      if (!error) media.max_rtsp_message_bytes = static_cast<std::size_t>(bytes);
    } else if (n == "max_rtsp_headers") {
      error = read_count(node, key, 1, media.max_rtsp_headers);
    } else if (n == "max_connections") {
      error = read_count(node, key, 1, media.max_connections);
    } else if (n == "session_timeout_s") {
      error = read_seconds(node, key, media.session_timeout);
    } else if (n == "idle_timeout_s") {
      error = read_seconds(node, key, media.idle_timeout);
    } else if (n == "publisher_grace_s") {
      error = read_seconds(node, key, media.publisher_grace);
    } else if (n == "publisher_stall_s") {
      error = read_seconds(node, key, media.publisher_stall);
    } else if (n == "edge_linger_s") {
      error = read_seconds(node, key, media.edge_linger);
    } else if (n == "token_ttl_s") {
      error = read_seconds(node, key, media.token_ttl);
    } else if (n == "webrtc_consent_timeout_s") {
      std::int64_t seconds = 0;
      error = read_integer(node, key, 10, 30, seconds);
      if (!error) media.webrtc_consent_timeout = std::chrono::seconds{seconds};
    } else if (n == "udp_gso") {
      error = read_bool(node, key, media.udp_gso);
    } else if (n == "rtx_window_ms") {
      std::int64_t ms = 0;
      error = read_integer(node, key, 0, 10000, ms);
      if (!error) media.rtx_window = std::chrono::milliseconds{ms};
    } else if (n == "rtx_max_share") {
      error = read_share(node, key, media.rtx_max_share);
    } else if (n == "keyframe_request_interval_ms") {
      std::int64_t ms = 0;
      error = read_integer(node, key, 100, 10000, ms);
      if (!error) media.keyframe_request_interval = std::chrono::milliseconds{ms};
    } else if (n == "rate_control") {
      error = read_bool(node, key, media.rate_control);
    } else if (n == "congested_share") {
      error = read_share(node, key, media.congested_share);
    } else if (n == "thinning") {
      error = read_bool(node, key, media.thinning);
    } else if (n == "publisher_nack") {
      error = read_bool(node, key, media.publisher_nack);
    } else if (n == "workers") {
      std::int64_t workers = 0;
      error = read_integer(node, key, 0, 256, workers);
      if (!error) media.workers = static_cast<std::size_t>(workers);
    } else {
      error = unknown_key(node, key);
    }
    if (error) return error;
  }
  return std::nullopt;
}

Status apply_http(const toml::table& table, HttpConfig& http) {
  for (const auto& [name, node] : table) {
    const std::string key = "http." + std::string(name.str());
    const std::string_view n = name.str();
    Status error;
    if (n == "listen") {
      error = read_host_port(node, key, http.listen);
    } else if (n == "api_key") {
      error = read_string(node, key, http.api_key);
    } else if (n == "public_url") {
      error = read_string(node, key, http.public_url);
      // Terminals send their Ut requests (digest, HTTP/1.1) to it: a plain http base URL.
      const std::string_view url = http.public_url;
      if (!error && !url.empty() &&
          (!url.starts_with("http://") || url.size() == 7 || url.ends_with("/") ||
           url.find_first_of(" \t\r\n<>\"") != std::string_view::npos)) {
        error = at(node, key + ": expected \"http://HOST:PORT\" (no path, no trailing /), got \"" +
                             http.public_url + "\"");
      }
    } else if (n == "web_root") {
      error = read_string(node, key, http.web_root);
    } else {
      error = unknown_key(node, key);
    }
    if (error) return error;
  }
  return std::nullopt;
}

// An array of IPv4 or IPv6 address literals (no names: a request's Via holds addresses), each
// once.
Status read_ip_addresses(const toml::node& node, const std::string& key,
                         std::vector<std::string>& out) {
  const auto* array = node.as_array();
  if (array == nullptr) return at(node, key + ": expected an array such as [\"10.0.0.1\"]");
  std::vector<std::string> addresses;
  for (const auto& element : *array) {
    const auto* text = element.as_string();
    const std::string address = text != nullptr ? text->get() : std::string();
    in6_addr binary{};
    if (inet_pton(AF_INET, address.c_str(), &binary) != 1 &&
        inet_pton(AF_INET6, address.c_str(), &binary) != 1) {
      return at(element, key + ": expected an IPv4 or IPv6 address, got " + in_quotes(address));
    }
    if (std::find(addresses.begin(), addresses.end(), address) != addresses.end()) {
      return at(element, key + ": " + address + " is listed twice");
    }
    addresses.push_back(address);
  }
  out = std::move(addresses);
  return std::nullopt;
}

// A non-empty array of distinct "SHA-256" / "MD5", kept in the canonical spelling.
Status read_digest_algorithms(const toml::node& node, const std::string& key,
                              std::vector<std::string>& out) {
  const auto* array = node.as_array();
  if (array == nullptr || array->empty()) {
    return at(node, key + ": expected a non-empty array such as [\"SHA-256\", \"MD5\"]");
  }
  std::vector<std::string> algorithms;
  for (const auto& element : *array) {
    const auto* text = element.as_string();
    std::string name = text != nullptr ? text->get() : std::string();
    for (auto& c : name)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name != "SHA-256" && name != "MD5") {
      return at(element, key + ": unknown algorithm (expected \"SHA-256\" or \"MD5\")");
    }
    if (std::find(algorithms.begin(), algorithms.end(), name) != algorithms.end()) {
      std::string message = key;
      message.append(": ").append(name).append(" is listed twice");
      return at(element, message);
    }
    algorithms.push_back(std::move(name));
  }
  out = std::move(algorithms);
  return std::nullopt;
}

Status apply_sip(const toml::table& table, SipConfig& sip) {
  for (const auto& [name, node] : table) {
    const std::string key = "sip." + std::string(name.str());
    const std::string_view n = name.str();
    Status error;
    if (n == "listen") {
      error = read_host_port(node, key, sip.listen);
    } else if (n == "service_number") {
      std::string number;
      error = read_string(node, key, number);
      if (!error && !is_valid_number(number)) {
        error = at(node, key + ": invalid number " + in_quotes(number) +
                             " (1-32 characters of [0-9A-Za-z+._-])");
      }
      if (!error) sip.service_number = std::move(number);
    } else if (n == "realm") {
      error = read_string(node, key, sip.realm);
      if (!error &&
          (sip.realm.empty() || sip.realm.find_first_of(":\"\\\r\n") != std::string::npos)) {
        error = at(node, key + ": must be non-empty, without ':', '\"', '\\' or line breaks");
      }
    } else if (n == "users_file") {
      error = read_string(node, key, sip.users_file);
    } else if (n == "forwarding_db") {
      error = read_string(node, key, sip.forwarding_db);
    } else if (n == "media_url") {
      error = read_string(node, key, sip.media_url);
    } else if (n == "media_api_key") {
      error = read_string(node, key, sip.media_api_key);
    } else if (n == "master_join_timeout_s") {
      error = read_seconds(node, key, sip.master_join_timeout);
    } else if (n == "viewer_media_start_timeout_s") {
      error = read_seconds(node, key, sip.viewer_media_start_timeout);
    } else if (n == "auto_forwarding") {
      error = read_bool(node, key, sip.auto_forwarding);
    } else if (n == "digest_algorithms") {
      error = read_digest_algorithms(node, key, sip.digest_algorithms);
    } else if (n == "ut_digest_algorithms") {
      error = read_digest_algorithms(node, key, sip.ut_digest_algorithms);
    } else if (n == "trusted_proxies") {
      error = read_ip_addresses(node, key, sip.trusted_proxies);
    } else if (n == "nonce_ttl_s") {
      error = read_seconds(node, key, sip.nonce_ttl);
    } else if (n == "min_expires_s") {
      error = read_seconds(node, key, sip.min_expires);
    } else if (n == "max_expires_s") {
      error = read_seconds(node, key, sip.max_expires);
    } else if (n == "max_registrations") {
      error = read_count(node, key, 1, sip.max_registrations);
    } else if (n == "max_contacts_per_user") {
      error = read_count(node, key, 1, sip.max_contacts_per_user);
    } else if (n == "max_calls") {
      error = read_count(node, key, 1, sip.max_calls);
    } else {
      error = unknown_key(node, key);
    }
    if (error) return error;
  }
  return std::nullopt;
}

Status read_milliseconds(const toml::node& node, const std::string& key, std::int64_t min,
                         std::int64_t max, std::chrono::milliseconds& out) {
  std::int64_t ms = 0;
  if (auto error = read_integer(node, key, min, max, ms)) return error;
  out = std::chrono::milliseconds{ms};
  return std::nullopt;
}

Status apply_cluster(const toml::table& table, ClusterConfig& cluster) {
  for (const auto& [name, node] : table) {
    const std::string key = "cluster." + std::string(name.str());
    const std::string_view n = name.str();
    Status error;
    if (n == "redis_url") {
      std::string url;
      error = read_string(node, key, url);
      if (!error && !url.empty()) {
        if (auto parsed = parse_redis_url(url); !parsed)
          error = at(node, key + ": " + parsed.error());
      }
      if (!error) cluster.redis_url = std::move(url);
    } else if (n == "node_id") {
      std::string id;
      error = read_string(node, key, id);
      if (!error && !id.empty() && !is_valid_node_id(id)) {
        error = at(node, key + ": invalid node id " + in_quotes(id) +
                             " (1-64 characters of [0-9A-Za-z._:-])");
      }
      if (!error) cluster.node_id = std::move(id);
    } else if (n == "media_node_ttl_ms") {
      // At least a second: refreshed every third of it, a shorter one would flap on a busy node.
      error = read_milliseconds(node, key, 1000, 600'000, cluster.media_node_ttl);
    } else if (n == "group_ttl_ms") {
      error = read_milliseconds(node, key, 1000, 600'000, cluster.group_ttl);
    } else if (n == "max_viewers_per_node") {
      error = read_count(node, key, 1, cluster.max_viewers_per_node);
    } else if (n == "advertise_host") {
      error = read_string(node, key, cluster.advertise_host);
    } else {
      error = unknown_key(node, key);
    }
    if (error) return error;
  }
  return std::nullopt;
}

Status apply_root(const toml::table& root, Config& config) {
  for (const auto& [name, node] : root) {
    const std::string key(name.str());
    Status error;
    if (key == "role") {
      std::string text;
      error = read_string(node, key, text);
      if (!error) {
        auto role = parse_role(text);
        if (role) {
          config.role = *role;
        } else {
          error = at(node, key + ": " + role.error());
        }
      }
    } else if (key == "log_level") {
      std::string level;
      error = read_string(node, key, level);
      if (!error && !is_valid_log_level(level)) {
        error = at(node, key + ": unknown level " + in_quotes(level) +
                             " (expected trace, debug, info, warn or error)");
      }
      if (!error) config.log_level = std::move(level);
    } else if (key == "token_secret") {
      error = read_string(node, key, config.token_secret);
    } else if (key == "media") {
      if (const auto* table = as_section(node, key, error))
        error = apply_media(*table, config.media);
    } else if (key == "http") {
      if (const auto* table = as_section(node, key, error)) error = apply_http(*table, config.http);
    } else if (key == "sip") {
      if (const auto* table = as_section(node, key, error)) error = apply_sip(*table, config.sip);
    } else if (key == "cluster") {
      if (const auto* table = as_section(node, key, error))
        error = apply_cluster(*table, config.cluster);
    } else {
      error = unknown_key(node, key);
    }
    if (error) return error;
  }
  return std::nullopt;
}

}  // namespace

Result<Role, std::string> parse_role(std::string_view text) {
  if (text == "all") return Role::all;
  if (text == "media") return Role::media;
  if (text == "signaling") return Role::signaling;
  return fail("unknown role " + in_quotes(text) + " (expected all, media or signaling)");
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::all:
      return "all";
    case Role::media:
      return "media";
    case Role::signaling:
      return "signaling";
  }
  return "unknown";
}

Result<HostPort, std::string> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "tcp://";
  const std::string expected = " (expected tcp://HOST:PORT, e.g. tcp://10.0.0.5:6379)";
  if (!url.starts_with(scheme)) {
    const std::size_t colon = url.find("://");
    if (colon != std::string_view::npos) {
      return fail("unsupported scheme " + in_quotes(url.substr(0, colon + 3)) + " in " +
                  in_quotes(url) + expected);
    }
    return fail(in_quotes(url) + " is not a URL" + expected);
  }
  std::string_view authority = url.substr(scheme.size());
  if (authority.find_first_of("/?#@") != std::string_view::npos) {
    return fail(in_quotes(url) + ": no user, password, database or path is accepted" + expected);
  }
  if (authority.empty()) return fail(in_quotes(url) + ": no host" + expected);
  // Without a port: Redis's own. A bracketed IPv6 literal has colons of its own.
  const bool bracketed = authority.front() == '[';
  const std::size_t close = bracketed ? authority.find(']') : std::string_view::npos;
  const bool has_port = bracketed ? (close != std::string_view::npos &&
                                     close + 1 < authority.size() && authority[close + 1] == ':')
                                  : authority.find(':') != std::string_view::npos;
  const std::string text = has_port ? std::string(authority) : std::string(authority) + ":6379";
  auto parsed = parse_host_port(text);
  if (!parsed) return fail(in_quotes(url) + ": " + parsed.error() + expected);
  if (parsed->port == 0) return fail(in_quotes(url) + ": port 0 is not a Redis port" + expected);
  return parsed;
}

bool is_valid_node_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == ':' ||
           c == '-';
  });
}

std::string default_node_id(std::string_view hostname, std::uint16_t port) {
  const std::string suffix = ":" + std::to_string(port);
  std::string id;
  for (const char c : hostname) {
    if (id.size() + suffix.size() >= 64) break;
    const bool kept =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    id.push_back(kept ? c : '-');
  }
  if (id.empty()) id = "node";
  return id + suffix;
}

Result<Config, std::string> parse_config_toml(std::string_view text, Config base) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& error) {
    return fail(position(error.source().begin) + std::string(error.description()));
  }
  if (auto error = apply_root(root, base)) return fail(std::move(*error));
  return base;
}

Result<Config, std::string> load_config_file(const std::filesystem::path& path, Config base) {
  const std::string name = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(name + ": " + (ec ? ec.message() : std::string("not a regular file")));
  }
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return fail(name + ": " + ec.message());
  if (size > kMaxFileBytes) return fail(name + ": larger than 1 MiB, not a config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(name + ": cannot open");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail(name + ": read error");
  text.resize(static_cast<std::size_t>(in.gcount()));  // the file may have shrunk meanwhile
  auto config = parse_config_toml(text, std::move(base));
  if (!config) return fail(name + ": " + config.error());
  return config;
}

}  // namespace callcast::core
