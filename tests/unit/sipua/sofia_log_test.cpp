// sofia-sip's own log lines become spdlog debug lines, whole, tagged with their module, and never
// reach stderr by themselves (issue 10, item 8).
#include "sipua/sofia_log.hpp"

#include <gtest/gtest.h>
#include <sofia-sip/su_log.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace callcast::sipua {
namespace {

// The default logger, replaced for one test by one that writes "level|text" lines to a string.
class CapturedLog {
 public:
  explicit CapturedLog(spdlog::level::level_enum level) : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l|%v");
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(level);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

TEST(SofiaLog, FragmentsBecomeWholeDebugLinesPerModule) {
  CapturedLog log(spdlog::level::debug);
  sofia_log_fragment("tport", "tport_udp_error: Connection refused (111)");
  sofia_log_fragment("nta", "nta: REGISTER (1): ");
  sofia_log_fragment("tport", " [icmp type=3 code=3]\n\treported by [127.0.0.1]:0\n");
  sofia_log_fragment("nta", "Connection refused (111)\n");
  EXPECT_EQ(log.text(),
            "debug|sofia tport: tport_udp_error: Connection refused (111) [icmp type=3 code=3]\n"
            "debug|sofia tport: \treported by [127.0.0.1]:0\n"
            "debug|sofia nta: nta: REGISTER (1): Connection refused (111)\n");
}

TEST(SofiaLog, NothingShowsAboveDebug) {
  CapturedLog log(spdlog::level::info);
  sofia_log_fragment("nua", "nua: something internal\n");
  EXPECT_EQ(log.text(), "");
}

// What sofia itself logs, through su_llog, lands in the debug log and not on stderr.
TEST(SofiaLog, SofiasOwnLinesAreRedirected) {
  send_sofia_logs_to_spdlog();
  CapturedLog log(spdlog::level::debug);
  // stderr into a file for the duration: it must stay empty.
  std::fflush(stderr);
  const int saved = dup(fileno(stderr));
  char path[] = "/tmp/sofia_log_test_XXXXXX";
  const int file = mkstemp(path);
  ASSERT_GE(file, 0);
  dup2(file, fileno(stderr));
  su_llog(su_log_default, 0, "outbound(%p): FAILED to validate <%s>\n", nullptr,
          "sip:127.0.0.1:40126;transport=udp");
  std::fflush(stderr);
  dup2(saved, fileno(stderr));
  close(saved);
  std::ifstream captured(path);
  const std::string err((std::istreambuf_iterator<char>(captured)),
                        std::istreambuf_iterator<char>());
  close(file);
  std::remove(path);
  EXPECT_EQ(err, "");
  EXPECT_NE(log.text().find("debug|sofia su: outbound("), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("FAILED to validate <sip:127.0.0.1:40126;transport=udp>"),
            std::string::npos)
      << log.text();
}

}  // namespace
}  // namespace callcast::sipua
