#include "heap_trimmer.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace callcast {

std::optional<HeapAllocator::Figures> GlibcHeap::figures() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size_pages = 0;
  std::int64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return std::nullopt;
  const struct mallinfo2 info = mallinfo2();
  Figures figures;
  figures.resident_bytes = resident_pages * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
  figures.in_use_bytes = static_cast<std::int64_t>(info.uordblks + info.hblkhd);
  return figures;
}

void GlibcHeap::trim() {
  malloc_trim(0);
}

HeapTrimmer::HeapTrimmer(HeapTrimmerOptions options, HeapAllocator& heap)
    : options_(options), heap_(heap) {}

HeapTrimmer::~HeapTrimmer() {
  stop();
}

bool HeapTrimmer::check() {
  const auto before = heap_.figures();
  if (!before) return false;
  const std::int64_t idle = before->resident_bytes - before->in_use_bytes;
  if (!floor_ || idle < *floor_) floor_ = idle;
  const bool quiet =
      last_in_use_ && std::abs(before->in_use_bytes - *last_in_use_) < options_.quiet_release_bytes;
  last_in_use_ = before->in_use_bytes;
  if (idle - *floor_ < (quiet ? options_.quiet_release_bytes : options_.min_release_bytes)) {
    return false;
  }
  const auto began = std::chrono::steady_clock::now();
  heap_.trim();
  trims_.fetch_add(1, std::memory_order_relaxed);
  const auto after = heap_.figures();
  // What the trim could not release stays in the floor, so that it is not tried again and again.
  floor_ = after ? after->resident_bytes - after->in_use_bytes : idle;
  if (after) last_in_use_ = after->in_use_bytes;
  spdlog::debug("heap: returned {} KiB to the OS in {} ms ({} KiB resident, {} KiB in use)",
                after ? (before->resident_bytes - after->resident_bytes) / 1024 : 0,
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - began)
                    .count(),
                after ? after->resident_bytes / 1024 : 0, after ? after->in_use_bytes / 1024 : 0);
  return true;
}

void HeapTrimmer::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, options_.interval, [this] { return stopping_; })) {
      lock.unlock();
      check();
      lock.lock();
    }
  });
}

void HeapTrimmer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace callcast
