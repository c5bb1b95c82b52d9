#pragma once
// A bounded single-producer single-consumer queue: how the media loop hands packet batches and
// membership changes to one fan-out worker without a lock on the packet path (DESIGN.md §7).
#include <atomic>
#include <cstddef>
#include <new>
#include <optional>
#include <vector>

namespace callcast::media {

template <class T>
class SpscRing {
 public:
  // `capacity` is rounded up to a power of two.
  explicit SpscRing(std::size_t capacity) {
    std::size_t size = 2;
    while (size < capacity)
      size *= 2;
    slots_.resize(size);
    mask_ = size - 1;
  }

  // Producer side; false (and `value` left alone) when full.
  bool try_push(T& value) {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return false;
    }
    slots_[tail & mask_] = std::move(value);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side; the slot is reset so that shared buffers are released at once.
  std::optional<T> try_pop() {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return std::nullopt;
    }
    std::optional<T> out(std::move(slots_[head & mask_]));
    slots_[head & mask_] = T{};
    head_.store(head + 1, std::memory_order_release);
    return out;
  }

  std::size_t capacity() const { return mask_ + 1; }
  // Entries waiting, as seen from any thread (a snapshot: both ends may move meanwhile).
  std::size_t size() const {
    const std::size_t head = head_.load(std::memory_order_acquire);
    const std::size_t tail = tail_.load(std::memory_order_acquire);
    return tail >= head ? tail - head : 0;
  }

 private:
  static constexpr std::size_t kLine = 64;
  std::vector<T> slots_;
  std::size_t mask_ = 0;
  alignas(kLine) std::atomic<std::size_t> head_{0};  // next to pop (consumer writes)
  std::size_t tail_cache_ = 0;                       // consumer's copy of tail_
  alignas(kLine) std::atomic<std::size_t> tail_{0};  // next to push (producer writes)
  std::size_t head_cache_ = 0;                       // producer's copy of head_
};

}  // namespace callcast::media
