#pragma once
// A private directory under the system's temporary directory for one run's users file,
// forwarding database, config and server log; removed with everything in it at the end unless
// kept (to read the server log after a failed run).
#include <filesystem>
#include <string>

#include "core/result.hpp"

namespace callcast::loadgen {

class ScratchDir {
 public:
  static Result<ScratchDir, std::string> create(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(ScratchDir&& other) noexcept;
  ScratchDir& operator=(ScratchDir&&) = delete;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  explicit ScratchDir(std::filesystem::path path) : path_(std::move(path)) {}

  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace callcast::loadgen
