#pragma once
// callcastd as the end-to-end tests run it: ports chosen by the OS, an optional TOML config for
// short timeouts, the "callcastd ready ..." line parsed, the log dumped when the test failed,
// and the process stopped (and reaped) when the fixture ends.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/http_client.hpp"

namespace callcast::test {

struct ServerOptions {
  // TOML text for --config; empty: no config file. E.g. "[media]\nsession_timeout_s = 3\n".
  std::string config_toml;
  std::string log_level = "debug";
  // "all", "media" or "signaling" (then give --media-url in extra_args)
  std::string role = "all";
  std::string http = "127.0.0.1:0";  // a fixed port to come back on after a restart
  std::string rtsp = "127.0.0.1:0";  // likewise, for the media role; "0.0.0.0:..." for every
  std::string sip = "127.0.0.1:0";   // interface, likewise, for the signaling role
  std::string rtp_ports = "0-0";
  // Prepended to the command line, e.g. `ip netns exec NS` to run it on a lab host.
  std::vector<std::string> exec_prefix;
  // Users written to the users file (realm "callcast") before the start: {number, password}.
  std::vector<std::pair<std::string, std::string>> users;
  // The users file and forwarding database; empty: the fixture's own in its directory. Several
  // signaling nodes on one machine share them by naming the same files.
  std::filesystem::path users_file;
  std::filesystem::path forwarding_db;
  std::vector<std::string> extra_args;
  std::vector<std::string> extra_env;  // "NAME=value" added to its environment
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(10);
};

// The addresses callcastd printed on its ready line.
struct ReadyLine {
  std::string rtsp_host;
  std::uint16_t rtsp_port = 0;
  std::string http_host;
  std::uint16_t http_port = 0;
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;
  std::string sip_host;  // empty when the role runs no SIP
  std::uint16_t sip_port = 0;
};
// "callcastd ready rtsp=127.0.0.1:41465 http=127.0.0.1:33787 rtp=44600-44601"
std::optional<ReadyLine> parse_ready_line(const std::string& line);

class CallcastServer {
 public:
  // `executable`: the callcastd binary; logs and the config go into `dir`.
  CallcastServer(std::filesystem::path executable, std::filesystem::path dir,
                 ServerOptions options = {});
  ~CallcastServer();
  CallcastServer(const CallcastServer&) = delete;
  CallcastServer& operator=(const CallcastServer&) = delete;

  // Starts callcastd and waits for its ready line; the failure says why and shows the log.
  ::testing::AssertionResult start();
  bool alive();
  // The next start() listens for HTTP on the address bound now (clients keep their URL).
  void keep_http_address() {
    options_.http = ready_.http_host + ":" + std::to_string(ready_.http_port);
  }
  // The next start() listens on every address bound now (RTSP, SIP and HTTP): terminals and
  // players that reconnect after a restart find it where it was.
  void keep_addresses() {
    keep_http_address();
    if (ready_.rtsp_port != 0)
      options_.rtsp = ready_.rtsp_host + ":" + std::to_string(ready_.rtsp_port);
    if (ready_.sip_port != 0)
      options_.sip = ready_.sip_host + ":" + std::to_string(ready_.sip_port);
  }
  // The same for SIP (UDP and TCP).
  void keep_sip_address() {
    options_.sip = ready_.sip_host + ":" + std::to_string(ready_.sip_port);
  }
  // SIGKILL: a crash. The log so far is kept beside the next one's as <log>.killed.
  ExitStatus kill();
  // The process id while it runs (-1 before start), e.g. to read /proc/<pid>/status.
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  // SIGTERM, then SIGKILL after a grace period; how it ended.
  ExitStatus stop();

  const ReadyLine& ready() const { return ready_; }
  std::uint16_t rtsp_port() const { return ready_.rtsp_port; }
  std::uint16_t http_port() const { return ready_.http_port; }
  std::uint16_t sip_port() const { return ready_.sip_port; }
  // Kept in the fixture's directory, so a restart of the same fixture finds them again.
  std::filesystem::path users_path() const {
    return options_.users_file.empty() ? dir_ / "users" : options_.users_file;
  }
  std::filesystem::path forwarding_db_path() const {
    return options_.forwarding_db.empty() ? dir_ / "forwarding.sqlite" : options_.forwarding_db;
  }
  HttpClient http() const { return HttpClient(ready_.http_host, ready_.http_port); }
  ControlApi api() const { return ControlApi(http()); }

  const std::filesystem::path& log_path() const { return log_path_; }
  std::string log_tail(std::size_t max_bytes = 20000) const;
  // True once `text` appears in the log (polled up to `timeout`).
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  std::filesystem::path executable_;
  std::filesystem::path dir_;
  ServerOptions options_;
  std::filesystem::path log_path_;
  std::unique_ptr<ChildProcess> process_;
  ReadyLine ready_;
};

}  // namespace callcast::test
