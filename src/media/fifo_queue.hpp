#pragma once
// A first-in first-out queue on one vector: what a viewer's catch-up backlog and an RTSP
// connection's send queue need (push at the back, pop at the front, look at both), without
// std::deque's blocks, which libstdc++ allocates (about 600 bytes) even for an empty queue. A
// server holds thousands of viewers whose queues are empty almost always (issue 5: memory per
// viewer).
#include <cstddef>
#include <utility>
#include <vector>

namespace callcast::media {

template <class T>
class FifoQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  void push_back(T value) { items_.push_back(std::move(value)); }
  void reserve(std::size_t count) { items_.reserve(head_ + count); }
  void pop_front() {
    items_[head_] = T{};  // releases what it holds (shared packets) at once
    if (++head_ == items_.size()) {
      clear();
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      // Move the live part down once half the vector is spent, so the vector does not grow
      // without bound under a steady push/pop (amortised O(1) per element).
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  // Empties it and gives the memory back (an empty queue holds no allocation).
  void clear() {
    std::vector<T>().swap(items_);
    head_ = 0;
  }
  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace callcast::media
