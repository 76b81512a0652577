// libFuzzer target: a network's weights in Lantern's flat format (learners/weights_format.hpp),
// as a checkpoint file or a weights message from another node brings them: any bytes give the
// tensors' names and spans inside the input, or a clear error; never a read past it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "learners/weights_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto parsed = lantern::learners::parse_weights(in);
  if (!parsed) return 0;
  float sum = 0;
  for (const auto& e : parsed.value()) {
    volatile char first = e.name.empty() ? 0 : e.name.front();
    (void)first;
    for (uint64_t i = 0; i < e.elements; ++i) {  // every value lies inside the input (ASan checks)
      float v;
      std::memcpy(&v, e.data + i * sizeof(float), sizeof v);
      sum += v;
    }
  }
  volatile float keep = sum;
  (void)keep;
  return 0;
}
