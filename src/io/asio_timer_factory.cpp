#include "io/asio_timer_factory.hpp"

#include <boost/asio/steady_timer.hpp>
#include <cstdint>

namespace callcast::io {
namespace {

class AsioTimer final : public core::Timer {
 public:
  AsioTimer(boost::asio::io_context& io, std::function<void()> callback)
      : timer_(io), callback_(std::move(callback)) {}
  ~AsioTimer() override {
    *alive_ = false;
    timer_.cancel();
  }
  AsioTimer(const AsioTimer&) = delete;
  AsioTimer& operator=(const AsioTimer&) = delete;

  void enable(core::SteadyClock::duration delay) override {
    // A cancelled wait may still be queued; the generation tells it apart from the live one.
    const std::uint64_t generation = ++generation_;
    armed_ = true;
    timer_.expires_after(delay);
    timer_.async_wait([this, generation, alive = alive_](const boost::system::error_code& ec) {
      if (ec || !*alive || generation != generation_) return;
      armed_ = false;
      callback_();
    });
  }
  void disable() override {
    ++generation_;
    armed_ = false;
    timer_.cancel();
  }
  bool enabled() const override { return armed_; }

 private:
  boost::asio::steady_timer timer_;
  std::function<void()> callback_;
  // The handler may be queued after this timer is gone (cancel does not dequeue a completed
  // wait); it checks this flag, cleared by the destructor, before touching the timer.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::uint64_t generation_ = 0;
  bool armed_ = false;
};

}  // namespace

std::unique_ptr<core::Timer> AsioTimerFactory::create_timer(std::function<void()> callback) {
  return std::make_unique<AsioTimer>(io_, std::move(callback));
}

}  // namespace callcast::io
