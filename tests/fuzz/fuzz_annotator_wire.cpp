// libFuzzer target: the annotator service's wire decoder (requests and replies), bytes from
// any client that can reach the service.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "annotators/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lantern::annotators;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto r = wire::decode_request(bytes, 4096)) {
    // What decodes must encode back to the same bytes.
    if (wire::encode_request(*r) != bytes) __builtin_trap();
  }
  (void)wire::decode_reply(bytes);
  return 0;
}
