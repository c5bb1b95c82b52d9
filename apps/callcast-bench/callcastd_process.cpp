#include "callcastd_process.hpp"

#include <sstream>

namespace callcast::bench {

Result<CallcastdEndpoints, std::string> parse_ready_line(const std::string& line) {
  std::istringstream words(line);
  std::string word;
  words >> word;
  if (word != "callcastd") return fail("not a ready line: " + line);
  words >> word;
  if (word != "ready") return fail("not a ready line: " + line);
  CallcastdEndpoints endpoints;
  bool have_http = false;
  bool have_sip = false;
  while (words >> word) {
    const auto equals = word.find('=');
    if (equals == std::string::npos) continue;
    const std::string key = word.substr(0, equals);
    core::HostPort* target = key == "rtsp"   ? &endpoints.rtsp
                             : key == "http" ? &endpoints.http
                             : key == "sip"  ? &endpoints.sip
                                             : nullptr;
    if (target == nullptr) continue;  // rtp= and fields of later versions
    auto parsed = core::parse_host_port(word.substr(equals + 1));
    if (!parsed) return fail("ready line field " + word + ": " + parsed.error());
    *target = *parsed;
    have_http = have_http || key == "http";
    have_sip = have_sip || key == "sip";
  }
  if (!have_http || !have_sip) return fail("ready line without http= or sip=: " + line);
  return endpoints;
}

Result<std::unique_ptr<CallcastdProcess>, std::string> CallcastdProcess::start(
    const std::filesystem::path& binary, const std::vector<std::string>& args,
    const std::filesystem::path& log_file, std::chrono::milliseconds ready_timeout) {
  auto process = ServerProcess::start(binary, args, {}, log_file, ready_timeout);
  if (!process) return fail(process.error());
  auto endpoints = parse_ready_line((*process)->ready_line());
  if (!endpoints) return fail(endpoints.error());
  return std::unique_ptr<CallcastdProcess>(
      new CallcastdProcess(std::move(*process), std::move(*endpoints)));
}

}  // namespace callcast::bench
