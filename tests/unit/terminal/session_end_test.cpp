// The end of a terminal session whose BYE goes unanswered (a dead signaling node behind
// Kamailio, which answers 408 only after 8 s): the ending bound finishes the session, the
// session is destroyed while the BYE is still out, and the call's end that sofia reports during
// that destruction must not reach the destroyed session (it did: the sofia thread ran
// BroadcastSession::on_call_ended inside ~Phone, and write_stats wrote freed strings).
#include <arpa/inet.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "terminal/main_loop.hpp"
#include "terminal/session.hpp"
#include "terminal/stats_file.hpp"
#include "terminal/status_line.hpp"

namespace callcast::terminal {
namespace session_end_test {

using namespace std::chrono_literals;

// A registrar and callee on one UDP socket that answers REGISTER, INVITE and OPTIONS with 200
// and never answers a BYE: a signaling node that died after the call was set up.
class SilentByePeer {
 public:
  SilentByePeer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SilentByePeer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  SilentByePeer(const SilentByePeer&) = delete;
  SilentByePeer& operator=(const SilentByePeer&) = delete;

  std::uint16_t port() const { return port_; }
  int byes() const { return byes_; }

 private:
  void serve() {
    char buffer[8192];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      sockaddr_in from{};
      socklen_t length = sizeof from;
      const ssize_t n =
          ::recvfrom(fd_, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &length);
      if (n <= 0) continue;
      const std::string message(buffer, static_cast<std::size_t>(n));
      const std::string method = message.substr(0, message.find(' '));
      if (method == "BYE") ++byes_;
      if (method != "REGISTER" && method != "INVITE" && method != "OPTIONS") continue;
      const std::string answer = answer_200(message, method);
      ::sendto(fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), length);
    }
  }

  std::string answer_200(const std::string& request, const std::string& method) const {
    std::string headers;
    std::istringstream lines(request);
    std::string line;
    std::getline(lines, line);  // the request line
    while (std::getline(lines, line) && line != "\r" && !line.empty()) {
      const std::string name = line.substr(0, line.find(':'));
      if (name == "Via" || name == "v" || name == "From" || name == "f" || name == "Call-ID" ||
          name == "i" || name == "CSeq") {
        headers += line + "\n";
      } else if (name == "To" || name == "t") {
        if (line.back() == '\r') line.pop_back();
        headers += line + (line.find(";tag=") == std::string::npos ? ";tag=silent1" : "") + "\r\n";
      } else if (method == "REGISTER" && (name == "Contact" || name == "m")) {
        if (line.back() == '\r') line.pop_back();
        headers += line + ";expires=600\r\n";
      }
    }
    std::string body;
    if (method == "INVITE") {
      headers += "Contact: <sip:127.0.0.1:" + std::to_string(port_) + ">\r\n";
      headers += "Content-Type: application/sdp\r\n";
      body =
          "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
          "m=video 0 RTP/AVP 96\r\n";
    }
    return "SIP/2.0 200 OK\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> byes_{0};
  std::thread thread_;
};

// What the test learns about the session, kept outside it so that a report arriving after the
// session's destruction can be recorded without touching the dead object.
struct Witness {
  std::mutex mutex;
  bool session_alive = true;
  bool answered = false;
  int ends_after_destruction = 0;
  int ends_off_main_thread = 0;
  std::string finish_line;
  std::thread::id main_thread = std::this_thread::get_id();
};

// A session that calls, hangs up once answered, and waits for the BYE's answer.
class HangUpSession final : public Session {
 public:
  HangUpSession(PhoneOptions phone, StatusLine& status, std::shared_ptr<Witness> witness)
      : Session(std::move(phone), status, 500ms), witness_(std::move(witness)) {}
  ~HangUpSession() override {
    const std::lock_guard lock(witness_->mutex);
    witness_->session_alive = false;
  }

 protected:
  void begin() override {
    CallEvents events;
    events.on_answered = [this](const sipua::Response&) {
      {
        const std::lock_guard lock(witness_->mutex);
        witness_->answered = true;
      }
      stop("the test hangs up");
    };
    // Captures the witness, not `this`: the report may come after the session is gone.
    events.on_ended = [witness = witness_](const sipua::CallEnd&,
                                           const std::optional<sipua::Response>&) {
      const std::lock_guard lock(witness->mutex);
      if (!witness->session_alive) ++witness->ends_after_destruction;
      if (std::this_thread::get_id() != witness->main_thread) ++witness->ends_off_main_thread;
    };
    phone().call("777",
                 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                 "m=video 9 RTP/AVP 96\r\na=sendonly\r\n",
                 std::move(events));
  }
  void end_cleanly(const std::string&) override { phone().hang_up(); }
  void refresh_status() override {}
  void on_finish(int, const std::string& line) override {
    const std::lock_guard lock(witness_->mutex);
    witness_->finish_line = line;
  }

 private:
  std::shared_ptr<Witness> witness_;
};

// Runs the default main context for `span` on this thread.
void spin_main_context(std::chrono::milliseconds span) {
  const auto until = std::chrono::steady_clock::now() + span;
  while (std::chrono::steady_clock::now() < until) {
    g_main_context_iteration(nullptr, FALSE);
    std::this_thread::sleep_for(5ms);
  }
}

TEST(RunOnMainLoop, WorkFromAnotherThreadWaitsForTheMainThreadEvenWithNoLoopRunning) {
  std::atomic<bool> ran{false};
  std::thread::id ran_on;
  std::thread other([&] {
    run_on_main_loop([&] {
      ran_on = std::this_thread::get_id();
      ran = true;
    });
  });
  other.join();
  EXPECT_FALSE(ran) << "ran at once on the posting thread";
  spin_main_context(100ms);
  EXPECT_TRUE(ran);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(SessionEnd, AByeAnsweredAfterTheEndingBoundIsNotReportedToTheDestroyedSession) {
  SilentByePeer peer;
  ASSERT_NE(peer.port(), 0);
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  StatusLine status(out, false);
  auto witness = std::make_shared<Witness>();
  PhoneOptions phone;
  phone.server = "127.0.0.1:" + std::to_string(peer.port());
  phone.number = "1001";
  phone.password = "secret";
  // The BYE stays unanswered for the terminal's 8 s: the session's 0.5 s ending bound ends the
  // session first, then ~Phone's user agent shutdown gives up on the BYE after its 3 s and drops
  // the call, which reports the call's end ("user agent shut down") from the sofia thread.
  phone.answer_timeout = 8000ms;

  int exit_code = -1;
  const auto started = std::chrono::steady_clock::now();
  {
    HangUpSession session(phone, status, witness);
    GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
    const guint safety = g_timeout_add(
        10'000,
        [](gpointer data) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop*>(data));
          return G_SOURCE_REMOVE;
        },
        loop);
    session.start([&](int code) {
      exit_code = code;
      g_main_loop_quit(loop);
    });
    g_main_loop_run(loop);
    g_source_remove(safety);
    g_main_loop_unref(loop);
  }  // ~Session: the user agent shuts down with the BYE still unanswered
  const auto took = std::chrono::steady_clock::now() - started;
  // The reports queued during the destruction find the phone gone and do nothing.
  spin_main_context(200ms);
  std::fclose(out);

  const std::lock_guard lock(witness->mutex);
  EXPECT_TRUE(witness->answered);
  EXPECT_GE(peer.byes(), 1) << "the session never sent its BYE";
  EXPECT_EQ(exit_code, 1);
  EXPECT_EQ(witness->finish_line, "the clean end took longer than 0.5 s; stopped");
  EXPECT_EQ(witness->ends_after_destruction, 0) << "the call's end reached a destroyed session";
  EXPECT_EQ(witness->ends_off_main_thread, 0) << "the call's end ran off the main thread";
  EXPECT_LT(took, 8s);
}

TEST(StatsFile, BytesThatAreNotUtf8AreReplacedNotThrownOn) {
  test::TempDir dir("stats-file");
  const auto path = dir / "stats.json";
  // A Reason text from outside with a stray Latin-1 byte and a cut UTF-8 sequence.
  const nlohmann::json stats = {{"end", "ended: caf\xe9 \xe2\x82"}, {"viewers", 3}};
  ASSERT_NO_THROW(write_stats_file(path, stats));
  std::ifstream in(path);
  const auto written = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(written.is_discarded());
  EXPECT_EQ(written["end"], "ended: caf\xef\xbf\xbd \xef\xbf\xbd");
  EXPECT_EQ(written["viewers"], 3);
}

}  // namespace session_end_test
}  // namespace callcast::terminal
