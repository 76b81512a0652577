#include "core/error.hpp"

namespace lantern::core {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::config: return "config";
    case errc::io: return "io";
    case errc::not_found: return "not_found";
    case errc::parse: return "parse";
    case errc::timeout: return "timeout";
    case errc::refused: return "refused";
    case errc::internal: return "internal";
  }
  return "unknown";
}

}  // namespace lantern::core
