#include "annotators/store.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <istream>
#include <ostream>

#include <nlohmann/json.hpp>

namespace lantern::annotators {
namespace {

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS labels (
  key INTEGER PRIMARY KEY,
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
INSERT OR IGNORE INTO meta VALUES ('schema_version', '1');
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
  if (sqlite3_exec(s->db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, &err) != SQLITE_OK ||
      sqlite3_exec(s->db_, schema_sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return core::make_error(core::errc::io, "label store " + path + ": " + msg);
  }
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(s->db_, "SELECT key, value, resolved_by_policy, backend, model, prompt_version, created_at "
                                 "FROM labels", -1, &q, nullptr) != SQLITE_OK)
    return sql_error(s->db_, "label store " + path);
  std::unique_lock lock(s->mutex_);
  while (sqlite3_step(q) == SQLITE_ROW) {
    provenance p{column_text(q, 3), column_text(q, 4), column_text(q, 5), sqlite3_column_double(q, 6), false};
    stored_label l;
    l.value = static_cast<int8_t>(sqlite3_column_int(q, 1));
    l.resolved_by_policy = sqlite3_column_int(q, 2) != 0;
    l.provenance_id = s->intern(p);
    l.created_at = p.created_at;
    s->index_[static_cast<uint64_t>(sqlite3_column_int64(q, 0))] = l;
  }
  sqlite3_finalize(q);
  return s;
}

uint32_t label_store::intern(const provenance& p) {
  std::string k = p.backend + '\0' + p.model + '\0' + p.prompt_version;
  auto [it, inserted] = provenance_ids_.emplace(k, static_cast<uint32_t>(provenances_.size()));
  if (inserted) provenances_.push_back({p.backend, p.model, p.prompt_version, 0, false});
  return it->second;
}

std::optional<stored_label> label_store::find(uint64_t key) const {
  std::shared_lock lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  return it->second;
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
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO labels VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ins, nullptr) !=
      SQLITE_OK) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return sql_error(db_, "label store: prepare");
  }
  for (const auto& e : entries) {
    const auto& p = e.lab.from;
    sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(e.what.key(p.prompt_version)));
    sqlite3_bind_int(ins, 2, static_cast<int>(e.what.k));
    sqlite3_bind_text(ins, 3, e.what.domain.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 4, e.what.goal.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, p.prompt_version.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 6, e.what.caption.data(), static_cast<int>(e.what.caption.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 7, e.what.caption2.data(), static_cast<int>(e.what.caption2.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(ins, 8, e.lab.value);
    sqlite3_bind_text(ins, 9, p.backend.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 10, p.model.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(ins, 11, p.created_at);
    sqlite3_bind_int(ins, 12, p.resolved_by_policy ? 1 : 0);
    if (e.lab.raw_reply.empty()) sqlite3_bind_null(ins, 13);
    else sqlite3_bind_blob(ins, 13, e.lab.raw_reply.data(), static_cast<int>(e.lab.raw_reply.size()), SQLITE_TRANSIENT);
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
  for (const auto& e : entries) {
    stored_label s;
    s.value = static_cast<int8_t>(e.lab.value);
    s.resolved_by_policy = e.lab.from.resolved_by_policy;
    s.provenance_id = intern(e.lab.from);
    s.created_at = e.lab.from.created_at;
    index_[e.what.key(e.lab.from.prompt_version)] = s;
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
                              "created_at, resolved_by_policy, raw_reply FROM labels ORDER BY created_at, key",
                         -1, &q, nullptr) != SQLITE_OK)
    return sql_error(db_, "label store: export");
  while (sqlite3_step(q) == SQLITE_ROW) {
    auto k = static_cast<kind>(sqlite3_column_int(q, 0));
    nlohmann::json j = {{"kind", to_string(k)}, {"domain", column_text(q, 1)}, {"goal", column_text(q, 2)},
                        {"prompt_version", column_text(q, 3)}, {"caption", column_text(q, 4)},
                        {"label", label_name(k, sqlite3_column_int(q, 6))}, {"backend", column_text(q, 7)},
                        {"model", column_text(q, 8)}, {"created_at", sqlite3_column_double(q, 9)},
                        {"resolved_by_policy", sqlite3_column_int(q, 10) != 0}};
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
