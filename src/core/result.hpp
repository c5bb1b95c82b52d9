#pragma once
// Result<T, E>: the return type for untrusted input (network bytes, files, config). It never
// throws on the data path; broken internal invariants assert instead (STYLE.md "Errors").
#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace callcast {

template <class E>
struct Failure {
  E error;
};

template <class E>
Failure<std::decay_t<E>> fail(E&& error) {
  return {std::forward<E>(error)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Failure<E> failure)                                 // NOLINT: implicit by design
      : state_(std::in_place_index<1>, std::move(failure.error)) {}
  template <class U>
  requires(!std::is_same_v<U, E> && std::is_constructible_v<E, U>) Result(
      Failure<U> failure)  // NOLINT: implicit by design, e.g. fail("text") for a string error
      : state_(std::in_place_index<1>, E(std::move(failure.error))) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  const E& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> state_;
};

}  // namespace callcast
