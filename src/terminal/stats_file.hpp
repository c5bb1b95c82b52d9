#pragma once
// The --stats-json file of `callcast broadcast` and `callcast watch`: what a run measured, for
// the tests and the bench that read it after the exit.
#include <filesystem>
#include <nlohmann/json.hpp>

namespace callcast::terminal {

// Writes `stats` (indented) to `path`. Strings that are not UTF-8 (a peer's Reason text, a
// file name) get U+FFFD in place of their bad bytes instead of failing the write: the file is
// written at the very end of a run, where an exception would cost the exit code too.
void write_stats_file(const std::filesystem::path& path, const nlohmann::json& stats);

}  // namespace callcast::terminal
