// core/log.hpp: Lantern's one logger is spdlog's default logger, configured once in main().
// Levels mean something: info = an operator cares; debug = a developer does; warn/error = act.
//
//   core::setup_logging("info");              // in main(), before anything logs
//   spdlog::info("runner {} started", id);
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace lantern::core {

/// Sets the level ("trace", "debug", "info", "warn", "error", "off") and a compact pattern;
/// logs go to stderr so that stdout stays clean for program output.
status setup_logging(std::string_view level);

}  // namespace lantern::core
