// callcast-bench: the load generator of callcast (DESIGN.md §5). Thin: flags in, the benchmark
// of a subcommand run, its exit code out.
//
//   callcast-bench sip [--masters N] [--viewers M] [--concurrency C] [--transport udp|tcp] ...
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "sip_bench.hpp"
#include "sip_bench_options.hpp"

int main(int argc, char** argv) {
  using callcast::bench::SipBenchOptions;
  CLI::App app{"callcast-bench: load generator for callcastd"};
  app.require_subcommand(1);

  SipBenchOptions sip;
  std::string transport = "udp";
  std::int64_t timeout_ms = sip.timeout.count();
  CLI::App* sip_command = app.add_subcommand(
      "sip",
      "N masters start broadcasts at the service number (INVITE, 183, RTSP RECORD, 200), M "
      "viewers call each (INVITE, 181, 200); prints one JSON line per phase and a summary");
  sip_command->add_option("--masters", sip.masters, "masters, one broadcast each (default 20)")
      ->check(CLI::Range(1, 100000));
  sip_command->add_option("--viewers", sip.viewers, "viewer calls per master (default 10)")
      ->check(CLI::Range(0, 100000));
  sip_command->add_option("--concurrency", sip.concurrency, "calls in flight at most (default 50)")
      ->check(CLI::Range(1, 100000));
  sip_command->add_option("--transport", transport, "SIP transport: udp or tcp (default udp)")
      ->check(CLI::IsMember({"udp", "tcp"}));
  sip_command
      ->add_option("--timeout-ms", timeout_ms,
                   "per call: INVITE to final answer, RTSP included (default 10000)")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{600000}));
  sip_command->add_flag("--json-only", sip.json_only, "print only the JSON lines on stdout");
  sip_command->add_option("--callcastd,--server-binary", sip.callcastd,
                          "the callcastd to start (default: ../callcastd/callcastd next to this "
                          "binary)");
  auto* sip_address = sip_command->add_option(
      "--sip", sip.sip,
      "use a running callcastd: its SIP address HOST:PORT (with --http, --users)");
  auto* http_address =
      sip_command->add_option("--http", sip.http, "the running callcastd's HTTP address HOST:PORT");
  auto* users = sip_command->add_option(
      "--users", sip.users_file, "the running callcastd's users file; the bench users are added");
  sip_address->needs(http_address, users);
  http_address->needs(sip_address);
  users->needs(sip_address);
  sip_command->add_option("--server-pid", sip.server_pid,
                          "pid of the running callcastd, for its CPU and RSS figures");
  sip_command->add_option("--realm", sip.realm,
                          "digest realm of the users file (default callcast)");
  sip_command->add_option("--service-number", sip.service_number,
                          "the service number (default 777)");
  sip_command->add_option("--password", sip.password, "password of every benchmark user");
  sip_command->add_flag("--keep-dir", sip.keep_dir,
                        "keep the scratch directory (users, config, server log)");
  sip_command->add_flag("--verbose", sip.verbose, "log the SIP user agents at info level");

  CLI11_PARSE(app, argc, argv);
  sip.transport =
      transport == "tcp" ? callcast::sipua::Transport::tcp : callcast::sipua::Transport::udp;
  sip.timeout = std::chrono::milliseconds(timeout_ms);
  if (sip_command->parsed()) return callcast::bench::SipBench(sip).run();
  return 2;
}
