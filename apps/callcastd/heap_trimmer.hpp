#pragma once
// Hands memory that callcastd no longer uses back to the OS, so that its resident memory follows
// its calls (issue 10). Nothing leaks over call churn: what stays is glibc keeping freed chunks
// in its arenas. A call's state is spread over threads (sofia-sip's loop allocates the SIP
// transactions, which live on for the RFC 3261 timers, up to 32 s after a BYE; the media loop
// the groups of 702-706), and small chunks still in use pin the pages around them, so that
// free() alone never shrinks the heap. Measured with heaptrack and `callcast-bench sip`: six
// runs of 200x10 calls left 210 MB resident for 4.9 MB of live heap; malloc_trim(0) brings it
// back to ~20 MB.
//
// The trimmer checks every `interval` how much resident memory is not holding live heap
// (resident - in use). Once that has grown over its lowest value by `min_release_bytes` (calls
// still coming and going), or by `quiet_release_bytes` while the live heap stands still (a quiet
// point: the calls are over), it calls malloc_trim(0), which returns the free pages of every
// arena (MADV_DONTNEED). It runs on a thread of its own, off the SIP and media event loops,
// which wait at most while their own arena is walked (20-50 ms for 150 MB of heap).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

namespace callcast {

// What the trimmer reads and does; the seam for its tests.
class HeapAllocator {
 public:
  struct Figures {
    std::int64_t resident_bytes = 0;  // the process's RSS
    std::int64_t in_use_bytes = 0;    // allocated and not freed (arenas and mmapped chunks)
  };
  virtual ~HeapAllocator() = default;
  // nullopt when the figures cannot be read (then nothing is trimmed).
  virtual std::optional<Figures> figures() = 0;
  virtual void trim() = 0;
};

// glibc's: mallinfo2(), /proc/self/statm, malloc_trim(0).
class GlibcHeap final : public HeapAllocator {
 public:
  std::optional<Figures> figures() override;
  void trim() override;
};

struct HeapTrimmerOptions {
  // mallinfo2() walks the arenas' free lists: cheap next to a trim, yet not for every loop turn.
  std::chrono::milliseconds interval{5'000};
  // While calls come and go, less than this is not worth a walk of every arena (the pages would
  // be faulted in again at once).
  std::int64_t min_release_bytes = std::int64_t{8} * 1024 * 1024;
  // Once the live heap moved less than this since the last check, this much is worth it.
  std::int64_t quiet_release_bytes = std::int64_t{1} * 1024 * 1024;
};

class HeapTrimmer {
 public:
  HeapTrimmer(HeapTrimmerOptions options, HeapAllocator& heap);
  ~HeapTrimmer();  // stops the thread
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

  // One check: trims when resident - in use has grown over its lowest value since the last trim
  // by min_release_bytes, or by quiet_release_bytes when the in-use figure moved less than that
  // since the previous check; true when it trimmed. Not thread-safe: start() or direct calls.
  bool check();

  // check() every interval on a thread of its own, until stop() or destruction.
  void start();
  void stop();

  std::uint64_t trims() const { return trims_.load(std::memory_order_relaxed); }

 private:
  HeapTrimmerOptions options_;
  HeapAllocator& heap_;
  // The lowest resident - in use seen since the last trim (what cannot or need not be released:
  // code, stacks, pages shared by live chunks).
  std::optional<std::int64_t> floor_;
  std::optional<std::int64_t> last_in_use_;  // at the previous check
  std::atomic<std::uint64_t> trims_{0};

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace callcast
