#pragma once
// A fixture for the cluster tests: a temporary directory and a redis-server of the test's own,
// stopped (by PID) when the test ends, passed or failed.
#include <gtest/gtest.h>

#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace callcast::test {

class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.started()) << redis_.error(); }

  // Declared in this order: Redis stops before its directory is removed.
  TempDir dir_{"cluster"};
  RedisServer redis_{dir_.path()};
};

}  // namespace callcast::test
