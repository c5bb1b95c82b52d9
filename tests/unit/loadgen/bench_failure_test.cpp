// What makes a fan-out run a BENCH failure rather than a server result (issue 11 item 12): the
// bench's own resource errors, and the descriptor limit it raises for itself and its server.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

#include "loadgen/media_run.hpp"
#include "loadgen/open_files_limit.hpp"
#include "loadgen/rtsp_player.hpp"
#include "loadgen/viewer_fleet.hpp"

namespace callcast::loadgen {
namespace {

TEST(BenchFailure, LocalResourceErrorsAreTheBenchs) {
  for (const int error : {EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL}) {
    EXPECT_TRUE(RtspPlayer::is_local_resource_error(error)) << error;
  }
  // What a server does to a viewer: refuse, reset, not answer.
  for (const int error : {ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, EHOSTUNREACH}) {
    EXPECT_FALSE(RtspPlayer::is_local_resource_error(error)) << error;
  }
}

TEST(BenchFailure, FailureTextIsRecognised) {
  EXPECT_TRUE(is_bench_failure(std::string(kBenchFailed) + "viewer 3997: connect: Too many"));
  EXPECT_FALSE(is_bench_failure("no viewer could play: viewer 0: DESCRIBE -> 404 Not Found"));
}

TEST(BenchFailure, ViewersCostThreeDescriptorsOrOne) {
  EXPECT_EQ(ViewerFleet::kRtspViewerDescriptors, 3U);
  EXPECT_EQ(ViewerFleet::kJoinViewerDescriptors, 1U);
}

TEST(OpenFilesLimit, RaisesTheSoftLimitToTheMostAllowed) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  // Start from a low soft limit, as a login shell's 1,024.
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_max, 256);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  const OpenFilesLimit raised = raise_open_files_limit();
  EXPECT_GE(raised.soft, saved.rlim_max) << raised.describe();
  EXPECT_EQ(raised.soft, current_open_files_limit().soft);
  if (raised.nr_open != 0) {
    EXPECT_LE(raised.soft, raised.nr_open) << raised.describe();
  }
  // Leave the process as it was (a raised hard limit cannot be lowered back without privilege
  // only when it was raised, which needed the privilege: fine either way).
  setrlimit(RLIMIT_NOFILE, &saved);
}

}  // namespace
}  // namespace callcast::loadgen
