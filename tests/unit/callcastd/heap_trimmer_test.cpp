// HeapTrimmer: callcastd's resident memory follows its calls (issue 10). The policy against a
// scripted heap, then the real thing against glibc: memory freed in a thread's arena stays
// resident after free() and goes back to the OS with the trimmer.
#include "heap_trimmer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "support/wait_until.hpp"

namespace callcast {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kMiB = 1024 * 1024;

// A heap whose figures the test sets; trim() releases what the test said it could.
class ScriptedHeap final : public HeapAllocator {
 public:
  std::optional<Figures> figures() override {
    std::lock_guard lock(mutex);
    ++reads;
    if (!readable) return std::nullopt;
    return now;
  }
  void trim() override {
    std::lock_guard lock(mutex);
    ++trims;
    now.resident_bytes -= releasable;
    releasable = 0;
  }
  void set(std::int64_t resident_mib, std::int64_t in_use_mib, std::int64_t releasable_mib = 0) {
    std::lock_guard lock(mutex);
    now = {resident_mib * kMiB, in_use_mib * kMiB};
    releasable = releasable_mib * kMiB;
  }

  std::mutex mutex;
  Figures now;
  std::int64_t releasable = 0;
  bool readable = true;
  int trims = 0;
  int reads = 0;
  int read_count() {
    std::lock_guard lock(mutex);
    return reads;
  }
};

HeapTrimmerOptions every(std::chrono::milliseconds interval) {
  HeapTrimmerOptions options;
  options.interval = interval;
  options.min_release_bytes = 8 * kMiB;
  return options;
}

TEST(HeapTrimmer, TrimsOnceCallsEndedAndTheirMemoryStaysResident) {
  ScriptedHeap heap;
  HeapTrimmer trimmer(every(1h), heap);
  heap.set(20, 8);  // idle server: 12 MiB of code, stacks and the like
  EXPECT_FALSE(trimmer.check());
  heap.set(120, 106);  // 702-713: calls up, their state in use
  EXPECT_FALSE(trimmer.check());
  heap.set(120, 9, 95);  // every call ended: freed, but still resident
  EXPECT_TRUE(trimmer.check());
  EXPECT_EQ(heap.trims, 1);
  EXPECT_EQ(heap.now.resident_bytes, 25 * kMiB);
  EXPECT_FALSE(trimmer.check()) << "nothing new to release";
  EXPECT_EQ(trimmer.trims(), 1U);
}

TEST(HeapTrimmer, WhileCallsComeAndGoLessThanTheMinimumWaits) {
  ScriptedHeap heap;
  HeapTrimmer trimmer(every(1h), heap);
  heap.set(20, 8);
  EXPECT_FALSE(trimmer.check());
  heap.set(31, 12, 7);  // 7 MiB freed, the live heap still moving
  EXPECT_FALSE(trimmer.check());
  heap.set(35, 16, 7);  // more calls: still 7 MiB over the floor
  EXPECT_FALSE(trimmer.check());
  EXPECT_EQ(heap.trims, 0);
}

TEST(HeapTrimmer, AQuietServerGivesBackEvenASmallRest) {
  ScriptedHeap heap;
  HeapTrimmer trimmer(every(1h), heap);
  heap.set(20, 8);
  EXPECT_FALSE(trimmer.check());
  heap.set(31, 12, 7);
  EXPECT_FALSE(trimmer.check()) << "busy";
  heap.set(27, 8, 7);  // the last calls ended: the live heap back where it was, and staying
  EXPECT_FALSE(trimmer.check()) << "it moved by 4 MiB since the previous check";
  EXPECT_TRUE(trimmer.check()) << "quiet now";
  EXPECT_EQ(heap.now.resident_bytes, 20 * kMiB);
  EXPECT_FALSE(trimmer.check()) << "nothing new to release";
  heap.set(20, 8, 0);
  heap.set(20, 8 - 1, 0);  // still moving (by 1 MiB): 1 MiB over the floor waits
  EXPECT_FALSE(trimmer.check());
  EXPECT_TRUE(trimmer.check()) << "quiet, and 1 MiB over the floor";
  EXPECT_EQ(heap.trims, 2);
}

TEST(HeapTrimmer, WhatATrimCannotReleaseIsNotTriedAgain) {
  ScriptedHeap heap;
  HeapTrimmer trimmer(every(1h), heap);
  heap.set(20, 8);
  EXPECT_FALSE(trimmer.check());
  heap.set(60, 8, 0);  // fragments pinned by live chunks: nothing to give back
  EXPECT_TRUE(trimmer.check());
  EXPECT_FALSE(trimmer.check());
  EXPECT_FALSE(trimmer.check());
  EXPECT_EQ(heap.trims, 1);
  heap.set(90, 8, 30);  // the next churn frees more on top
  EXPECT_TRUE(trimmer.check());
  EXPECT_EQ(heap.trims, 2);
}

TEST(HeapTrimmer, UnreadableFiguresChangeNothing) {
  ScriptedHeap heap;
  heap.readable = false;
  HeapTrimmer trimmer(every(1h), heap);
  EXPECT_FALSE(trimmer.check());
  EXPECT_EQ(heap.trims, 0);
}

TEST(HeapTrimmer, ItsThreadChecksEveryIntervalUntilStopped) {
  ScriptedHeap heap;
  heap.set(20, 8);
  HeapTrimmer trimmer(every(10ms), heap);
  trimmer.start();
  // The first check sees the idle server (the floor), a later one the churn.
  ASSERT_TRUE(test::wait_until([&] { return heap.read_count() > 0; }, 5s, 5ms));
  heap.set(120, 9, 95);
  EXPECT_TRUE(test::wait_until([&] { return trimmer.trims() == 1; }, 5s, 5ms));
  trimmer.stop();
  heap.set(240, 9, 200);
  std::this_thread::sleep_for(50ms);  // five intervals: a running thread would have trimmed
  EXPECT_EQ(trimmer.trims(), 1U);
}

// The regression test of issue 10: call state freed on another thread (as sofia-sip's loop frees
// its transactions) between chunks still in use stays resident until the trimmer runs.
TEST(HeapTrimmer, GlibcGivesChurnedMemoryBackOnlyWhenTrimmed) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces glibc's allocator";
#endif
  GlibcHeap heap;
  HeapTrimmerOptions options;
  options.min_release_bytes = 8 * kMiB;
  HeapTrimmer trimmer(options, heap);
  EXPECT_FALSE(trimmer.check()) << "the idle process: the floor";

  constexpr std::size_t kBlocks = 1024;
  constexpr std::size_t kBlockBytes = 64 * 1024;  // under the mmap threshold: from the arena
  std::vector<void*> survivors;
  std::thread churn([&] {
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < kBlocks; ++i) {
      void* block = std::malloc(kBlockBytes);
      std::memset(block, 0x5a, kBlockBytes);  // resident
      blocks.push_back(block);
      survivors.push_back(std::malloc(64));  // pins the heap between the blocks
    }
    for (void* block : blocks) {
      std::free(block);
    }
  });
  churn.join();
  const std::int64_t churned = static_cast<std::int64_t>(kBlocks * kBlockBytes);
  const auto freed = heap.figures();
  ASSERT_TRUE(freed);
  ASSERT_GT(freed->resident_bytes - freed->in_use_bytes, churned * 3 / 4)
      << "glibc returned the freed blocks by itself: the premise of the trimmer changed";

  EXPECT_TRUE(trimmer.check());
  const auto trimmed = heap.figures();
  ASSERT_TRUE(trimmed);
  EXPECT_GT(freed->resident_bytes - trimmed->resident_bytes, churned * 3 / 4)
      << "resident " << freed->resident_bytes / 1024 << " KiB -> " << trimmed->resident_bytes / 1024
      << " KiB";
  EXPECT_FALSE(trimmer.check()) << "nothing new to release";
  for (void* survivor : survivors) {
    std::free(survivor);
  }
}

}  // namespace
}  // namespace callcast
