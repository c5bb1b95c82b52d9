#include "terminal/phone.hpp"

#include <glib.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "terminal/sip_outcome.hpp"

namespace callcast::terminal {

namespace {

// Runs `fn` once after `delay` on the main loop (a GLib timeout source); returns its id.
unsigned int run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto* owned = new std::function<void()>(std::move(fn));
  return g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(delay.count()),
      [](gpointer data) -> gboolean {
        (*static_cast<std::function<void()>*>(data))();
        return G_SOURCE_REMOVE;
      },
      owned, [](gpointer data) { delete static_cast<std::function<void()>*>(data); });
}

}  // namespace

// Lives on the sofia thread; forwards what the call's owner needs to the main loop.
class Phone::Observer : public sipua::CallObserver {
 public:
  Observer(std::weak_ptr<bool> token, Phone* phone, CallEvents events)
      : token_(std::move(token)), phone_(phone), events_(std::move(events)) {}

  void on_response(const sipua::Response& response) override {
    if (response.method != "INVITE") return;
    if (response.status >= 300) refusal_ = response;
    if (response.status >= 200) return;
    post([this, response] {
      phone_->stop_answer_timer();
      if (!phone_->ended_ && events_.on_provisional) events_.on_provisional(response);
    });
  }

  void on_answered(const sipua::Response& response) override {
    post([this, response] {
      phone_->stop_answer_timer();
      if (!phone_->ended_ && events_.on_answered) events_.on_answered(response);
    });
  }

  void on_info(const sipua::InfoRequest& info) override {
    post([this, info] {
      if (!phone_->ended_ && events_.on_info) events_.on_info(info);
    });
  }

  void on_terminated(const sipua::CallEnd& end) override {
    std::optional<sipua::Response> refusal = refusal_;
    post([this, end, refusal] {
      phone_->stop_answer_timer();
      if (phone_->ended_) return;  // already reported as unanswered
      phone_->ended_ = true;
      if (events_.on_ended) events_.on_ended(end, refusal);
    });
  }

 private:
  // The observer is kept alive by the user agent until the call ends, and by each posted task.
  void post(std::function<void()> fn) {
    run_on_main_loop(guarded(token_, [self = shared_from_this_(), fn = std::move(fn)] { fn(); }));
  }
  std::shared_ptr<Observer> shared_from_this_() { return self_.lock(); }

  friend class Phone;
  std::weak_ptr<Observer> self_;
  std::weak_ptr<bool> token_;
  Phone* phone_;
  CallEvents events_;
  std::optional<sipua::Response> refusal_;  // touched on the sofia thread only
};

Result<std::unique_ptr<Phone>, std::string> Phone::start(PhoneOptions options) {
  std::unique_ptr<Phone> phone(new Phone(std::move(options)));
  sipua::UserAgentOptions agent;
  agent.bind_host = phone->options_.bind_host;
  agent.bind_port = phone->options_.bind_port;
  agent.keepalive = phone->options_.keepalive;
  // sofia gives up on a silent server when we do, so nothing is left pending at the shutdown.
  agent.transaction_timeout = phone->options_.answer_timeout;
  agent.transport = phone->options_.transport;
  agent.account = {phone->options_.number, phone->options_.password, phone->options_.server};
  agent.record_messages = false;
  agent.user_agent = "callcast-terminal";
  agent.info_packages = phone->options_.info_packages;
  auto started = sipua::UserAgent::start(std::move(agent));
  if (!started) return fail("cannot start the SIP user agent: " + started.error());
  phone->agent_ = std::move(started).value();
  return phone;
}

Phone::~Phone() {
  stop_answer_timer();
  agent_.reset();  // BYE/CANCEL of a live call and un-REGISTER, bounded
}

void Phone::stop_answer_timer() {
  if (answer_timer_ != 0) g_source_remove(answer_timer_);
  answer_timer_ = 0;
}

std::string Phone::no_answer() const {
  return "the SIP server " + options_.server + " did not answer within " +
         std::to_string(options_.answer_timeout.count() / 1000) + " s";
}

void Phone::register_account(std::function<void(Result<bool, std::string>)> done) {
  // Whichever comes first, the answer or the timeout, reports; the other finds `pending` empty.
  auto pending = std::make_shared<std::function<void(Result<bool, std::string>)>>(std::move(done));
  // Normally sofia's own 408 (transaction_timeout) comes first; this is the safety net.
  const unsigned int timer = run_after(options_.answer_timeout + std::chrono::seconds(1),
                                       guarded(life_.token(), [this, pending] {
                                         if (!*pending) return;
                                         auto report = std::exchange(*pending, nullptr);
                                         report(fail(no_answer()));
                                       }));
  agent_->register_account(
      std::chrono::seconds(600), [this, pending, timer](const sipua::Response& response) {
        run_on_main_loop(guarded(life_.token(), [this, pending, timer, response] {
          if (!*pending) return;
          g_source_remove(timer);
          auto report = std::exchange(*pending, nullptr);
          if (response.status >= 200 && response.status < 300) {
            if (response.via_received && *response.via_received != options_.bind_host) {
              advertised_host_ = *response.via_received;
              spdlog::info("terminal: terminal={} behind a NAT: the server sees us as {}:{}",
                           options_.number, advertised_host_, response.via_rport.value_or("?"));
            }
            return report(true);
          }
          if (response.status == 408 && is_local_failure(response))
            return report(fail(no_answer()));
          report(fail(describe_register_failure(response, options_.number, options_.server)));
        }));
      });
}

void Phone::unregister_account(std::function<void()> done) {
  agent_->unregister_account([this, done = std::move(done)](const sipua::Response&) {
    run_on_main_loop(guarded(life_.token(), done));
  });
}

void Phone::call(const std::string& target, const std::string& offer, CallEvents events) {
  auto observer = std::make_shared<Observer>(life_.token(), this, std::move(events));
  observer->self_ = observer;
  ended_ = false;
  call_ = agent_->start_call(target, offer, observer);
  spdlog::debug("terminal: terminal={} call-id={} INVITE {}", options_.number, call_.call_id,
                target);
  // Not even a 100 Trying: report now rather than after sofia's 32 s of retransmissions. The
  // CANCEL goes out anyway; its outcome is no longer reported.
  answer_timer_ = run_after(
      options_.answer_timeout, guarded(life_.token(), [this, observer] {
        answer_timer_ = 0;
        if (ended_) return;
        hang_up();
        ended_ = true;
        sipua::Response unanswered;
        unanswered.method = "INVITE";
        unanswered.status = 408;
        unanswered.phrase = "Request Timeout";
        if (observer->events_.on_ended) {
          observer->events_.on_ended({sipua::EndCause::error, 408, "Request Timeout"}, unanswered);
        }
      }));
}

void Phone::hang_up() {
  if (call_.valid() && !ended_) agent_->hang_up(call_);
}

}  // namespace callcast::terminal
