#include "terminal/stats_file.hpp"

#include <fstream>

namespace callcast::terminal {

void write_stats_file(const std::filesystem::path& path, const nlohmann::json& stats) {
  std::ofstream(path) << stats.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                      << "\n";
}

}  // namespace callcast::terminal
