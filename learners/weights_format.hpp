// learners/weights_format.hpp: Lantern's flat format for a network's weights (torch-free, so
// that its decoder is fuzzed with the other decoders of outside bytes). Weights travel to every
// runner after every update and into every checkpoint; LibTorch's own archive (a zip of pickled
// tensors) took longer to write and read than the update they followed.
//
//   "LNTWGT01", u32 count, then per tensor: u32 name length, name, u64 elements, float32 data
//   (little-endian, as the machines Lantern runs on).
//
//   auto parsed = parse_weights(bytes);   // names and spans, every size checked against the bytes
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace lantern::learners {

inline constexpr std::string_view weights_magic = "LNTWGT01";

struct weights_entry {
  std::string_view name;
  uint64_t elements = 0;
  const char* data = nullptr;  ///< elements float32 values, unaligned: copy them out
};

/// Whether `bytes` starts like the flat format (else it may be an older checkpoint's archive).
bool is_flat_weights(std::string_view bytes);

/// The tensors of a flat weights blob; an error names what does not fit (a declared size
/// beyond the bytes, trailing bytes, more tensors than the bytes could hold).
core::result<std::vector<weights_entry>> parse_weights(std::string_view bytes);

/// Appends one tensor's record; `begin_weights` writes the header for `count` tensors.
void begin_weights(std::string& out, uint32_t count);
void append_weights(std::string& out, std::string_view name, const float* data, uint64_t elements);

}  // namespace lantern::learners
