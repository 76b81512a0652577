#include "annotators/store.hpp"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <istream>
#include <ostream>

#include <nlohmann/json.hpp>

namespace lantern::annotators {
namespace {

// Schema 2: the key is the whole item::key (a BLOB), and `source` names who the label answers
// for. Schema 1 keyed rows by a 64-bit hash without the source; open() migrates it.
constexpr int schema_version = 2;
constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS labels (
  key BLOB PRIMARY KEY,
  source TEXT NOT NULL,
  kind INTEGER NOT NULL,
  domain TEXT NOT NULL,
  goal TEXT NOT NULL,
  prompt_version TEXT NOT NULL,
  caption BLOB NOT NULL,
  caption2 BLOB NOT NULL,
  value INTEGER NOT NULL,
  backend TEXT NOT NULL,
  model TEXT NOT NULL,
  created_at REAL NOT NULL,
  resolved_by_policy INTEGER NOT NULL,
  raw_reply BLOB);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

core::error_info sql_error(sqlite3* db, const std::string& what) {
  return core::make_error(core::errc::io, what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

std::string column_text(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  int n = sqlite3_column_bytes(s, i);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

// Captions may hold any bytes; JSON needs UTF-8, so invalid sequences are replaced on export.
std::string json_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

label_store::~label_store() {
  if (db_) sqlite3_close(db_);
}

core::result<std::unique_ptr<label_store>> label_store::open(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::unique_ptr<label_store> s(new label_store());
  s->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    return sql_error(s->db_, "cannot open label store " + path);
  sqlite3_busy_timeout(s->db_, 5000);
  // WAL: readers never block the writer. synchronous=NORMAL: a committed transaction survives
  // the process being killed (not a power cut, which would need FULL).
  char* err = nullptr;
  if (sqlite3_exec(s->db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return core::make_error(core::errc::io, "label store " + path + ": " + msg);
  }
  if (auto ok = s->create_or_migrate(); !ok) return ok.error();
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(s->db_, "SELECT key, value, resolved_by_policy, backend, model, prompt_version, created_at, "
                                 "source FROM labels", -1, &q, nullptr) != SQLITE_OK)
    return sql_error(s->db_, "label store " + path);
  std::unique_lock lock(s->mutex_);
  while (sqlite3_step(q) == SQLITE_ROW) {
    provenance p{column_text(q, 3), column_text(q, 4), column_text(q, 5), sqlite3_column_double(q, 6), false};
    stored_label l;
    l.value = static_cast<int8_t>(sqlite3_column_int(q, 1));
    l.resolved_by_policy = sqlite3_column_int(q, 2) != 0;
    l.provenance_id = s->intern(p);
    l.created_at = p.created_at;
    s->index_[column_text(q, 0)] = l;
    s->sources_.insert(column_text(q, 7));
  }
  sqlite3_finalize(q);
  return s;
}

core::status label_store::create_or_migrate() {
  auto exec = [&](const char* sql) -> core::status {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) == SQLITE_OK) return {};
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return core::make_error(core::errc::io, "label store " + path_ + ": " + msg);
  };
  // Which schema is there? No meta table: a new store.
  int version = 0;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE name = 'schema_version'", -1, &q, nullptr) == SQLITE_OK) {
    if (sqlite3_step(q) == SQLITE_ROW) version = std::atoi(column_text(q, 0).c_str());
    sqlite3_finalize(q);
  }
  if (version > schema_version)
    return core::make_error(core::errc::config, "label store " + path_ + " has schema " + std::to_string(version) +
                                                    ", made by a newer Lantern (this one reads up to " +
                                                    std::to_string(schema_version) + ")");
  if (version == schema_version) return {};
  if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return ok;
  auto fail = [&](core::status st) {
    exec("ROLLBACK");
    return st;
  };
  if (version == 1)
    if (auto ok = exec("ALTER TABLE labels RENAME TO labels_v1"); !ok) return fail(ok);
  if (auto ok = exec(schema_sql); !ok) return fail(ok);
  if (version == 1) {
    // Rows keep every column; the key is rebuilt as item::key with the source the row's
    // provenance names.
    sqlite3_stmt* rows = nullptr;
    sqlite3_stmt* ins = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT kind, domain, goal, prompt_version, caption, caption2, value, backend, model, "
                                "created_at, resolved_by_policy, raw_reply FROM labels_v1", -1, &rows, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO labels VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ins,
                           nullptr) != SQLITE_OK) {
      auto e = sql_error(db_, "label store: migrating schema 1");
      sqlite3_finalize(rows);
      sqlite3_finalize(ins);
      return fail(e);
    }
    while (sqlite3_step(rows) == SQLITE_ROW) {
      item it{static_cast<kind>(sqlite3_column_int(rows, 0)), column_text(rows, 1), column_text(rows, 2),
              column_text(rows, 4), column_text(rows, 5)};
      const std::string version_text = column_text(rows, 3), source = source_of(column_text(rows, 7), column_text(rows, 8));
      const std::string key = it.key(version_text, source);
      sqlite3_bind_blob(ins, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, 2, source.c_str(), -1, SQLITE_TRANSIENT);
      for (int c = 0; c < 12; ++c) sqlite3_bind_value(ins, c + 3, sqlite3_column_value(rows, c));
      if (sqlite3_step(ins) != SQLITE_DONE) {
        auto e = sql_error(db_, "label store: migrating schema 1");
        sqlite3_finalize(rows);
        sqlite3_finalize(ins);
        return fail(e);
      }
      sqlite3_reset(ins);
    }
    sqlite3_finalize(rows);
    sqlite3_finalize(ins);
    if (auto ok = exec("DROP TABLE labels_v1"); !ok) return fail(ok);
  }
  if (auto ok = exec("INSERT OR REPLACE INTO meta VALUES ('schema_version', '2')"); !ok) return fail(ok);
  return exec("COMMIT");
}

uint32_t label_store::intern(const provenance& p) {
  std::string k = p.backend + '\0' + p.model + '\0' + p.prompt_version;
  auto [it, inserted] = provenance_ids_.emplace(k, static_cast<uint32_t>(provenances_.size()));
  if (inserted) provenances_.push_back({p.backend, p.model, p.prompt_version, 0, false});
  return it->second;
}

std::optional<stored_label> label_store::find(const std::string& key) const {
  std::shared_lock lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::optional<stored_label> label_store::find_from(const item& it, const std::string& prompt_version,
                                                   const std::function<bool(const std::string&)>& accept) const {
  std::shared_lock lock(mutex_);
  for (const auto& source : sources_) {
    if (!accept(source)) continue;
    auto hit = index_.find(it.key(prompt_version, source));
    if (hit != index_.end()) return hit->second;
  }
  return std::nullopt;
}

std::vector<std::string> label_store::sources() const {
  std::shared_lock lock(mutex_);
  return {sources_.begin(), sources_.end()};
}

provenance label_store::provenance_of(const stored_label& s) const {
  std::shared_lock lock(mutex_);
  provenance p = provenances_.at(s.provenance_id);
  p.created_at = s.created_at;
  p.resolved_by_policy = s.resolved_by_policy;
  return p;
}

core::status label_store::put(const std::vector<entry>& entries) {
  if (entries.empty()) return {};
  std::lock_guard writer(write_mutex_);
  sqlite3_stmt* ins = nullptr;
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
    return sql_error(db_, "label store: begin");
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO labels VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ins, nullptr) !=
      SQLITE_OK) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return sql_error(db_, "label store: prepare");
  }
  std::vector<std::string> keys, sources;
  keys.reserve(entries.size());
  sources.reserve(entries.size());
  for (const auto& e : entries) {
    const auto& p = e.lab.from;
    sources.push_back(e.source.empty() ? source_of(p) : e.source);
    keys.push_back(e.what.key(p.prompt_version, sources.back()));
    const std::string& key = keys.back();
    sqlite3_bind_blob(ins, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 2, sources.back().c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(ins, 3, static_cast<int>(e.what.k));
    sqlite3_bind_text(ins, 4, e.what.domain.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, e.what.goal.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 6, p.prompt_version.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 7, e.what.caption.data(), static_cast<int>(e.what.caption.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 8, e.what.caption2.data(), static_cast<int>(e.what.caption2.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(ins, 9, e.lab.value);
    sqlite3_bind_text(ins, 10, p.backend.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 11, p.model.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(ins, 12, p.created_at);
    sqlite3_bind_int(ins, 13, p.resolved_by_policy ? 1 : 0);
    if (e.lab.raw_reply.empty()) sqlite3_bind_null(ins, 14);
    else sqlite3_bind_blob(ins, 14, e.lab.raw_reply.data(), static_cast<int>(e.lab.raw_reply.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(ins) != SQLITE_DONE) {
      auto err = sql_error(db_, "label store: insert");
      sqlite3_finalize(ins);
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return err;
    }
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    auto err = sql_error(db_, "label store: commit");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return err;
  }
  // Only committed labels become visible to find().
  std::unique_lock lock(mutex_);
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    stored_label s;
    s.value = static_cast<int8_t>(e.lab.value);
    s.resolved_by_policy = e.lab.from.resolved_by_policy;
    s.provenance_id = intern(e.lab.from);
    s.created_at = e.lab.from.created_at;
    index_[std::move(keys[i])] = s;
    sources_.insert(std::move(sources[i]));
  }
  return {};
}

size_t label_store::size() const {
  std::shared_lock lock(mutex_);
  return index_.size();
}

std::map<std::string, uint64_t> label_store::stats() const {
  std::map<std::string, uint64_t> out;
  std::shared_lock lock(mutex_);
  out["labels"] = index_.size();
  for (const auto& [key, s] : index_) {
    const auto& p = provenances_[s.provenance_id];
    ++out["backend " + p.backend];
    ++out["prompt " + p.prompt_version];
    if (s.resolved_by_policy) ++out["resolved by policy"];
  }
  return out;
}

core::status label_store::export_jsonl(std::ostream& out) const {
  std::lock_guard writer(const_cast<std::mutex&>(write_mutex_));
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT kind, domain, goal, prompt_version, caption, caption2, value, backend, model, "
                              "created_at, resolved_by_policy, raw_reply, source FROM labels ORDER BY created_at, key",
                         -1, &q, nullptr) != SQLITE_OK)
    return sql_error(db_, "label store: export");
  while (sqlite3_step(q) == SQLITE_ROW) {
    auto k = static_cast<kind>(sqlite3_column_int(q, 0));
    nlohmann::json j = {{"kind", to_string(k)}, {"domain", column_text(q, 1)}, {"goal", column_text(q, 2)},
                        {"prompt_version", column_text(q, 3)}, {"caption", column_text(q, 4)},
                        {"label", label_name(k, sqlite3_column_int(q, 6))}, {"backend", column_text(q, 7)},
                        {"model", column_text(q, 8)}, {"created_at", sqlite3_column_double(q, 9)},
                        {"resolved_by_policy", sqlite3_column_int(q, 10) != 0}, {"source", column_text(q, 12)}};
    if (k == kind::ranking) j["caption2"] = column_text(q, 5);
    if (sqlite3_column_type(q, 11) != SQLITE_NULL) j["raw_reply"] = column_text(q, 11);
    out << json_line(j) << '\n';
  }
  sqlite3_finalize(q);
  return out ? core::status{} : core::make_error(core::errc::io, "label export: write failed");
}

core::result<size_t> label_store::import_jsonl(std::istream& in) {
  std::vector<entry> batch;
  std::string line;
  size_t n = 0, line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      entry e;
      const std::string k = j.at("kind");
      if (k != "classification" && k != "ranking") throw std::runtime_error("kind must be classification or ranking");
      e.what.k = k == "ranking" ? kind::ranking : kind::classification;
      e.what.domain = j.at("domain");
      e.what.goal = j.at("goal");
      e.what.caption = j.at("caption");
      e.what.caption2 = j.value("caption2", "");
      const std::string lab = j.at("label");
      static const std::map<std::string, int> values = {{"negative", negative}, {"positive", positive},
                                                        {"first", first}, {"second", second}, {"tie", tie}};
      auto v = values.find(lab);
      if (v == values.end()) throw std::runtime_error("unknown label '" + lab + "'");
      e.lab.value = v->second;
      e.lab.from.backend = j.at("backend");
      e.lab.from.model = j.value("model", "");
      e.lab.from.prompt_version = j.at("prompt_version");
      e.lab.from.created_at = j.value("created_at", 0.0);
      e.lab.from.resolved_by_policy = j.value("resolved_by_policy", false);
      e.lab.raw_reply = j.value("raw_reply", "");
      e.source = j.value("source", "");
      batch.push_back(std::move(e));
    } catch (const std::exception& ex) {
      return core::make_error(core::errc::parse, "label import, line " + std::to_string(line_no) + ": " + ex.what());
    }
    if (batch.size() >= 1000) {
      if (auto st = put(batch); !st) return st.error();
      n += batch.size();
      batch.clear();
    }
  }
  if (auto st = put(batch); !st) return st.error();
  return n + batch.size();
}

}  // namespace lantern::annotators
