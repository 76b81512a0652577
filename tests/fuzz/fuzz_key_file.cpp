// libFuzzer target: a cluster key file (core/curve.hpp), as `lantern keys` writes it and as a
// person may edit or damage it: any bytes give keys or a clear error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/curve.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)lantern::core::parse_key_file(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.key");
  return 0;
}
