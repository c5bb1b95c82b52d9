#pragma once
// What the real-browser tests (tests/browser, issue 14) need on this machine.
#include <filesystem>
#include <string>

namespace callcast::test {

// Empty when node, Chromium, playwright-core and the built pages (under `source`, the project's
// root) are all there; else what is missing and the command that sets it up.
std::string browser_setup_missing(const std::filesystem::path& source);

}  // namespace callcast::test
