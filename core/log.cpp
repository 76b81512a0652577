#include "core/log.hpp"

#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace lantern::core {

status setup_logging(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off")
    return make_error(errc::invalid_argument, "unknown log level '" + std::string(level) +
                                                  "' (use trace, debug, info, warn, error or off)");
  auto logger = spdlog::get("lantern");
  if (!logger) logger = spdlog::stderr_color_mt("lantern");
  logger->set_pattern("%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace lantern::core
