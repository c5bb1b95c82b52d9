#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "http/http_message.hpp"

namespace callcast::http {

// Hands a handler's response back to its connection. Copyable so that it fits in
// std::function callbacks; all copies share one slot, which takes exactly one response: later
// calls are ignored (and assert in debug builds). If every copy is destroyed without a
// response, the sink gets `if_dropped` instead, so the client is never left hanging. The sink is
// called at most once, from the thread that answers or that drops the last copy.
class Responder {
 public:
  using Sink = std::function<void(Response)>;
  // if_dropped: what the sink gets when no copy was ever called (default: an empty 500).
  explicit Responder(Sink sink, std::optional<Response> if_dropped = std::nullopt);

  void operator()(Response response) const;
  bool responded() const;

 private:
  struct Slot {
    Slot(Sink s, std::optional<Response> dropped)
        : sink(std::move(s)), if_dropped(std::move(dropped)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();
    Sink sink;
    std::optional<Response> if_dropped;
    std::atomic<bool> done{false};
  };
  std::shared_ptr<Slot> slot_;
};

}  // namespace callcast::http
