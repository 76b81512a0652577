// annotators/store.hpp: the label store: SQLite in WAL mode, one row per (kind, domain, goal,
// prompt version, source, caption[s]) with its provenance, and an in-memory index of every
// stored label so that a hit costs a hash lookup, not a query. The key is the whole
// length-prefixed tuple (item::key), not a hash of it: two items never share a row. The source
// (backend and model, source_of) is part of the key, so labels one backend made never answer
// for another unless asked to (find_from). put() returns only after the transaction has
// committed: a label the service acknowledges survives a crash of the process. A store of
// schema 1 (hashed keys without the source) is migrated when opened.
//
//   auto store = label_store::open("labels.sqlite");
//   store.value()->put({{it, lab}});              // committed, under source_of(lab.from)
//   if (auto hit = store.value()->find(it.key(version, "openai:m"))) use(hit->value);
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <functional>
#include <optional>
#include <set>
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

  /// The label stored under a key (item::key), if any. Thread-safe; no I/O.
  std::optional<stored_label> find(const std::string& key) const;
  /// The label of an item from the first source (in name order) that `accept` admits; for
  /// labels reused from other backends and for replay. Thread-safe; no I/O.
  std::optional<stored_label> find_from(const item& it, const std::string& prompt_version,
                                        const std::function<bool(const std::string&)>& accept) const;
  /// The sources that have labels in the store, in name order.
  std::vector<std::string> sources() const;
  /// (backend, model, prompt version) of a provenance id.
  provenance provenance_of(const stored_label& s) const;

  struct entry {
    item what;
    label lab;
    std::string source;  ///< who the label answers for (empty: source_of(lab.from))
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
  core::status create_or_migrate();
  sqlite3* db_ = nullptr;
  std::string path_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, stored_label> index_;
  std::set<std::string> sources_;
  std::vector<provenance> provenances_;
  std::map<std::string, uint32_t> provenance_ids_;
  std::mutex write_mutex_;
};

}  // namespace lantern::annotators
