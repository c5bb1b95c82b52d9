#include "terminal/media/jitterbuffer_stats.hpp"

namespace callcast::terminal {

void JitterbufferStats::add(GstElement* jitterbuffer) {
  std::lock_guard lock(mutex_);
  jitterbuffers_.emplace_back(GST_ELEMENT(gst_object_ref(jitterbuffer)));
}

JitterbufferStats::Counts JitterbufferStats::sample() const {
  Counts counts;
  std::lock_guard lock(mutex_);
  for (const auto& jitterbuffer : jitterbuffers_) {
    GstStructure* stats = nullptr;
    g_object_get(jitterbuffer.get(), "stats", &stats, nullptr);
    if (stats == nullptr) continue;
    guint64 value = 0;
    if (gst_structure_get_uint64(stats, "num-pushed", &value)) counts.received += value;
    if (gst_structure_get_uint64(stats, "num-lost", &value)) counts.lost += value;
    if (gst_structure_get_uint64(stats, "num-late", &value)) counts.late += value;
    gst_structure_free(stats);
  }
  return counts;
}

}  // namespace callcast::terminal
