// annotators/store.hpp: the label store: SQLite in WAL mode, one row per (kind, domain, goal,
// prompt version, caption[s]) with its provenance, and an in-memory index of every stored label
// so that a hit costs a hash lookup, not a query. put() returns only after the transaction has
// committed: a label the service acknowledges survives a crash of the process.
//
//   auto store = label_store::open("labels.sqlite");
//   store.value()->put({{it, lab}});              // committed
//   if (auto hit = store.value()->find(it.key(version))) use(hit->value);
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "annotators/types.hpp"
#include "core/error.hpp"

struct sqlite3;

namespace lantern::annotators {

/// A stored label, as the index keeps it (small: lookups copy it).
struct stored_label {
  int8_t value = 0;
  bool resolved_by_policy = false;
  uint32_t provenance_id = 0;  ///< see label_store::provenance_of
  double created_at = 0;
};

class label_store {
 public:
  ~label_store();
  label_store(const label_store&) = delete;
  label_store& operator=(const label_store&) = delete;

  /// Opens or creates the store (parent directories included) and loads its index.
  static core::result<std::unique_ptr<label_store>> open(const std::string& path);

  /// The label stored under a key, if any. Thread-safe; no I/O.
  std::optional<stored_label> find(uint64_t key) const;
  /// (backend, model, prompt version) of a provenance id.
  provenance provenance_of(const stored_label& s) const;

  struct entry {
    item what;
    label lab;
  };
  /// Stores labels in one transaction (a later label for the same key replaces the earlier).
  core::status put(const std::vector<entry>& entries);

  size_t size() const;
  /// Counts by backend, kind and label: what `lantern labels stats` prints.
  std::map<std::string, uint64_t> stats() const;
  /// JSON lines, one label per line with its provenance and caption(s).
  core::status export_jsonl(std::ostream& out) const;
  /// Reads JSON lines written by export_jsonl; bad lines are errors that name the line number.
  core::result<size_t> import_jsonl(std::istream& in);
  const std::string& path() const { return path_; }

 private:
  label_store() = default;
  uint32_t intern(const provenance& p);  // caller holds the write lock
  sqlite3* db_ = nullptr;
  std::string path_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<uint64_t, stored_label> index_;
  std::vector<provenance> provenances_;
  std::map<std::string, uint32_t> provenance_ids_;
  std::mutex write_mutex_;
};

}  // namespace lantern::annotators
