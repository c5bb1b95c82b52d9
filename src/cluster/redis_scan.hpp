#pragma once
// Listing a family of keys without KEYS (which walks the whole keyspace in one go and stalls
// every other client): SCAN with MATCH and a COUNT hint, a bounded number of round trips.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis_client.hpp"
#include "core/result.hpp"

namespace callcast::cluster {

// Every key matching `pattern`, each once (SCAN may return a key twice), sorted. Fails, naming
// the pattern, when the cursor has not come back to 0 after `max_rounds` round trips.
Result<std::vector<std::string>, std::string> scan_keys(RedisClient& redis,
                                                        std::string_view pattern, std::size_t count,
                                                        std::size_t max_rounds);

}  // namespace callcast::cluster
