#include "loadgen/callcastd_process.hpp"

#include "loadgen/ready_line.hpp"

namespace callcast::loadgen {

Result<std::unique_ptr<CallcastdProcess>, std::string> CallcastdProcess::start(
    const std::filesystem::path& binary, const std::vector<std::string>& args,
    const std::filesystem::path& log_file, std::chrono::milliseconds ready_timeout) {
  auto process = ServerProcess::start(binary, args, {}, log_file, ready_timeout);
  if (!process) return fail(process.error());
  auto ready = parse_ready_line((*process)->ready_line());
  if (!ready) return fail(ready.error());
  if (!ready->sip) return fail("ready line without sip=: " + (*process)->ready_line());
  CallcastdEndpoints endpoints{ready->rtsp.value_or(core::HostPort{}), ready->http, *ready->sip};
  return std::unique_ptr<CallcastdProcess>(
      new CallcastdProcess(std::move(*process), std::move(endpoints)));
}

}  // namespace callcast::loadgen
