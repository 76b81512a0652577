#include "learners/weights_format.hpp"

#include <cstring>

namespace lantern::learners {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the flat weights format is little-endian");

namespace {

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <class T>
bool get(std::string_view& in, T& v) {
  if (in.size() < sizeof v) return false;
  std::memcpy(&v, in.data(), sizeof v);
  in.remove_prefix(sizeof v);
  return true;
}

core::error_info bad(const std::string& why) { return core::make_error(core::errc::parse, "weights: " + why); }

}  // namespace

bool is_flat_weights(std::string_view bytes) { return bytes.substr(0, weights_magic.size()) == weights_magic; }

core::result<std::vector<weights_entry>> parse_weights(std::string_view in) {
  if (!is_flat_weights(in)) return bad("not Lantern's weights format");
  in.remove_prefix(weights_magic.size());
  uint32_t count = 0;
  if (!get(in, count)) return bad("truncated header");
  // Each record takes at least 12 bytes: a count beyond that is a lie, refused before reserving.
  if (count > in.size() / 12) return bad("declares " + std::to_string(count) + " tensors in " + std::to_string(in.size()) + " bytes");
  std::vector<weights_entry> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t name_len = 0;
    if (!get(in, name_len) || name_len > in.size()) return bad("tensor " + std::to_string(i) + ": truncated name");
    weights_entry e;
    e.name = in.substr(0, name_len);
    in.remove_prefix(name_len);
    if (!get(in, e.elements) || e.elements > in.size() / sizeof(float))
      return bad("tensor '" + std::string(e.name) + "': declares more values than the bytes hold");
    e.data = in.data();
    in.remove_prefix(e.elements * sizeof(float));
    out.push_back(e);
  }
  if (!in.empty()) return bad(std::to_string(in.size()) + " bytes after the last tensor");
  return out;
}

void begin_weights(std::string& out, uint32_t count) {
  out.append(weights_magic);
  put(out, count);
}

void append_weights(std::string& out, std::string_view name, const float* data, uint64_t elements) {
  put(out, static_cast<uint32_t>(name.size()));
  out.append(name);
  put(out, elements);
  out.append(reinterpret_cast<const char*>(data), elements * sizeof(float));
}

}  // namespace lantern::learners
