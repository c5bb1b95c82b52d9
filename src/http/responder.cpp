#include "http/responder.hpp"

#include <cassert>

namespace callcast::http {

Responder::Responder(Sink sink, std::optional<Response> if_dropped)
    : slot_(std::make_shared<Slot>(std::move(sink), std::move(if_dropped))) {}

void Responder::operator()(Response response) const {
  if (slot_->done.exchange(true)) {
    assert(false && "a Responder was called twice");
    return;
  }
  slot_->sink(std::move(response));
}

bool Responder::responded() const {
  return slot_->done.load();
}

Responder::Slot::~Slot() {
  if (done.load()) return;
  try {
    sink(if_dropped ? std::move(*if_dropped) : Response::empty(500));
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

}  // namespace callcast::http
