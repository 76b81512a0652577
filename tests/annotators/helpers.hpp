// Shared by the annotator tests: a config for the annotator keys, with overrides.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "annotators/backend.hpp"
#include "core/config.hpp"

namespace lantern::annotators::testing {

inline core::config annotator_config(std::vector<std::string> sets) {
  core::schema s;
  add_annotator_options(s);
  auto c = core::config::load(s, "", sets);
  EXPECT_TRUE(c) << c.error().message;
  return std::move(c.value());
}

/// A fresh path for a label store, removed (with its WAL files) at destruction.
struct temp_store {
  std::string path;
  temp_store() {
    static int n = 0;
    path = ::testing::TempDir() + "labels-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".sqlite";
    remove();
  }
  ~temp_store() { remove(); }
  void remove() {
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path + ext);
  }
};

}  // namespace lantern::annotators::testing
