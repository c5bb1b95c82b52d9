#pragma once
// The settings callcastd takes on its command line, declared once: flag, the config key it
// overrides, help, how a value is read into a Config and how a Config's value is shown. The
// defaults live only in config.hpp's initializers: --help prints them through `show` from a
// default Config, so the help text cannot drift from the defaults the server really uses.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/config.hpp"

namespace callcast::core {

struct ConfigOption {
  std::string_view flag;  // "--rtsp"
  std::string_view key;   // "media.rtsp": the config file's name of the same setting
  std::string_view help;  // what it is; the key and the default are added by help_text()
  // The value `config` holds, as the flag would be written ("" when unset).
  std::string (*show)(const Config& config);
  // Reads a flag's value into `config`; the error does not name the flag (apply_flag does).
  std::optional<std::string> (*apply)(std::string_view value, Config& config);

  // "RTSP listen address (media.rtsp, default 127.0.0.1:8554)": the default from `defaults`.
  std::string help_text(const Config& defaults = Config{}) const;
};

// Every command-line setting, in --help order.
std::span<const ConfigOption> config_options();

// Applies `value` of `option` over `config`; the error names the flag ("--rtsp: missing port").
Result<bool, std::string> apply_flag(const ConfigOption& option, std::string_view value,
                                     Config& config);

}  // namespace callcast::core
