#pragma once
// A fresh directory per test for configs, logs and recordings. Removed at the end unless the
// test failed: then it stays, and its path is printed, so the recordings can be looked at.
#include <filesystem>
#include <string>

namespace callcast::test {

class TempDir {
 public:
  // Under $TMPDIR (or /tmp): "callcast-<prefix>-XXXXXX".
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace callcast::test
