#include "sipua/user_agent.hpp"

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <utility>

#include "core/random_id.hpp"
#include "sipua/nua_engine.hpp"
#include "sipua/sofia_log.hpp"

namespace callcast::sipua {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(5);

int run_function(void* arg) {
  (*static_cast<const std::function<void()>*>(arg))();
  return 0;
}

}  // namespace

UserAgent::UserAgent(UserAgentOptions options)
    : options_(std::move(options)), call_id_prefix_(core::random_hex_id()) {}

Result<std::unique_ptr<UserAgent>, std::string> UserAgent::start(UserAgentOptions options) {
  std::unique_ptr<UserAgent> agent(new UserAgent(std::move(options)));
  auto promise = std::make_shared<std::promise<Result<std::uint16_t, std::string>>>();
  auto started = promise->get_future();
  agent->thread_ = std::thread([self = agent.get(), promise] {
    self->run([promise](Result<std::uint16_t, std::string> result) {
      promise->set_value(std::move(result));
    });
  });
  if (started.wait_for(kStartTimeout) != std::future_status::ready) {
    // The destructor shuts down whatever did come up.
    return fail("the SIP stack did not come up within 5 s");
  }
  auto result = started.get();
  if (!result) {
    agent->thread_.join();
    return fail(result.error());
  }
  agent->local_port_ = result.value();
  spdlog::info("sipua: user agent started terminal={} port={} transport={}",
               agent->options_.account.number, agent->local_port_,
               agent->options_.transport == Transport::tcp ? "tcp" : "udp");
  return agent;
}

void UserAgent::run(std::function<void(Result<std::uint16_t, std::string>)> started) {
  // Before su_init: sofia's own lines go to the debug log, never straight to the user's stderr.
  send_sofia_logs_to_spdlog();
  su_init();
  su_root_t* root = su_root_create(nullptr);
  if (root == nullptr) {
    started(fail(std::string("su_root_create failed")));
    su_deinit();
    return;
  }
  // nua's stack on this very thread: one thread per agent, and the transport-log tap (which is
  // per thread) sees this agent's messages only.
  su_root_threading(root, 0);
  auto engine = NuaEngine::create(root, options_, [started](std::uint16_t port) { started(port); });
  if (!engine) {
    su_root_destroy(root);
    su_deinit();
    started(fail(engine.error()));
    return;
  }
  engine_ = std::move(engine).value();
  root_.store(root);
  su_root_run(root);
  // The loop stops once the destructor's shutdown has finished (or given up). nua_destroy (in
  // the engine's destructor) must not run inside one of nua's own callbacks: hence here.
  const bool clean = engine_->shut_down();
  engine_.reset();
  if (clean) {
    su_root_destroy(root);
  } else {
    // nua refused to shut down: its stack still hangs off the root, so both are left behind.
    spdlog::error("sipua: leaving the SIP stack of terminal={} behind", options_.account.number);
  }
  su_deinit();
}

UserAgent::~UserAgent() {
  if (!thread_.joinable()) return;
  if (root_.load() != nullptr) {
    execute([this] { engine_->shutdown([this](bool /*clean*/) { su_root_break(root_.load()); }); });
  }
  thread_.join();
}

void UserAgent::execute(const std::function<void()>& work) {
  su_task_execute(su_root_task(root_.load()), &run_function,
                  const_cast<std::function<void()>*>(&work), nullptr);
}

void UserAgent::register_account(std::chrono::seconds expires, ResponseCallback done) {
  execute([&] {
    engine_->register_account(static_cast<std::uint32_t>(expires.count()), std::move(done));
  });
}

void UserAgent::unregister_account(ResponseCallback done) {
  execute([&] { engine_->unregister_account(std::move(done)); });
}

CallHandle UserAgent::start_call(const std::string& target, const std::string& sdp_offer,
                                 std::shared_ptr<CallObserver> observer) {
  CallHandle handle;
  handle.id = next_call_.fetch_add(1);
  handle.call_id = call_id_prefix_ + "-" + std::to_string(handle.id) + "@callcast-sipua";
  execute([&] { engine_->start_call(handle, target, sdp_offer, std::move(observer)); });
  return handle;
}

void UserAgent::hang_up(const CallHandle& call) {
  execute([&] { engine_->hang_up(call.id); });
}

void UserAgent::options(const std::string& target, ResponseCallback done) {
  execute([&] { engine_->options(target, std::move(done)); });
}

std::vector<std::string> UserAgent::sequence(const std::string& call_id) {
  std::vector<std::string> labels;
  execute([&] { labels = engine_->sequence(call_id); });
  return labels;
}

std::uint64_t UserAgent::retransmissions(const std::string& call_id) {
  std::uint64_t count = 0;
  execute([&] { count = engine_->retransmissions(call_id); });
  return count;
}

std::size_t UserAgent::active_calls() {
  std::size_t count = 0;
  execute([&] { count = engine_->active_calls(); });
  return count;
}

}  // namespace callcast::sipua
