// learners/checkpoint.hpp: checkpoints as named parts (policy weights, optimiser, reward model,
// its dataset, RNG states, counters) in one file, written atomically: a temporary file in the
// same directory, flushed and fsynced, then renamed over the old one. A crash mid-write leaves
// the previous checkpoint intact.
//
//   checkpoint c;
//   c.parts["policy"] = pol.weights();
//   c.write("runs/x/checkpoint.bin");
//   auto back = checkpoint::read("runs/x/checkpoint.bin");
#pragma once

#include <map>
#include <string>

#include "core/error.hpp"

namespace lantern::learners {

struct checkpoint {
  std::map<std::string, std::string> parts;

  core::status write(const std::string& path) const;
  static core::result<checkpoint> read(const std::string& path);
};

/// Writes bytes to path atomically (temp file + fsync + rename).
core::status write_atomically(const std::string& path, const std::string& bytes);

}  // namespace lantern::learners
