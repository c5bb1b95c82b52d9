#include "support/browser_setup.hpp"

#include <cstdlib>

namespace callcast::test {

std::string browser_setup_missing(const std::filesystem::path& source) {
  std::string missing;
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    missing += "node is not installed (apt-get install nodejs npm); ";
  }
  if (!std::filesystem::exists("/usr/bin/chromium")) {
    missing += "/usr/bin/chromium is not installed (apt-get install chromium); ";
  }
  if (!std::filesystem::exists(source / "web/node_modules/playwright-core/package.json")) {
    missing += "web/node_modules/playwright-core is missing (make web); ";
  }
  if (!std::filesystem::exists(source / "web/dist/index.html")) {
    missing += "web/dist is not built (make web); ";
  }
  return missing;
}

}  // namespace callcast::test
