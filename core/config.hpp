// core/config.hpp: every knob of Lantern, its default and its one-line description live in a
// schema; a config is a TOML file plus `--set key=value` overrides checked against that schema.
// An unknown key or a bad value is an error that names the key and the file (or `--set`).
//
//   core::schema s;
//   s.integer("env.textworld.rooms", 5, "rooms in each generated world", 1, 100);
//   auto cfg = core::config::load(s, "configs/play.toml", {"env.textworld.rooms=8"});
//   if (!cfg) { std::cerr << cfg.error().message; return 2; }
//   int64_t rooms = cfg->integer("env.textworld.rooms");
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace lantern::core {

/// A config value: TOML's scalar types that Lantern uses.
using config_value = std::variant<bool, int64_t, double, std::string>;

/// Name of the type held by a config value ("boolean", "integer", "real", "string").
const char* type_name(const config_value& v) noexcept;

/// Renders a value as TOML (strings quoted and escaped).
std::string to_toml(const config_value& v);

/// One knob: dotted key, default (which fixes its type), help, and optional limits.
struct option {
  std::string key;
  config_value default_value;
  std::string help;
  std::optional<double> min;          ///< numbers only: smallest allowed value
  std::optional<double> max;          ///< numbers only: largest allowed value
  std::vector<std::string> choices;   ///< strings only: the allowed values (empty: any)
  bool live = false;                  ///< may change while a run goes on (the control API's /api/set)
};

/// The table of every knob a program knows. Components add their own options.
class schema {
 public:
  schema& add(option o);
  schema& boolean(std::string key, bool def, std::string help);
  schema& integer(std::string key, int64_t def, std::string help,
                  std::optional<int64_t> min = std::nullopt, std::optional<int64_t> max = std::nullopt);
  schema& real(std::string key, double def, std::string help,
               std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt);
  schema& string(std::string key, std::string def, std::string help, std::vector<std::string> choices = {});

  /// A key that a past release had: a file that sets it (a saved run's config.toml, say) still
  /// loads, with a warning that names the key and `why` it went; --set of it is an error.
  schema& retired(std::string key, std::string why);
  /// Why a retired key went, or nullptr if `key` was never retired.
  const std::string* retired_reason(std::string_view key) const;

  /// Marks an existing key as one that may change while a run goes on; false if there is no such key.
  bool mark_live(std::string_view key);
  /// The option for a key, or nullptr.
  const option* find(std::string_view key) const;
  /// True if some option's key starts with `prefix` + "." (the prefix names a table).
  bool is_table(std::string_view prefix) const;
  /// All options, sorted by key.
  const std::vector<option>& options() const { return options_; }
  /// A Markdown table of every option (key, type, default, description), for docs and --help.
  std::string to_markdown() const;

 private:
  std::vector<option> options_;  // kept sorted by key
  std::map<std::string, std::string, std::less<>> retired_;
};

/// Resolved values: defaults, then the file, then the overrides, all validated.
class config {
 public:
  /// Loads `file` (empty: defaults only) and applies `overrides` ("a.b=value", in order).
  /// Every problem is reported, one per line, each naming its key and the file or `--set`.
  static result<config> load(const schema& s, const std::string& file,
                             const std::vector<std::string>& overrides = {});
  /// Parses TOML text; `origin` names it in errors (a file path, "--set", ...).
  static result<config> parse(const schema& s, std::string_view toml_text, const std::string& origin,
                              const std::vector<std::string>& overrides = {});

  bool boolean(std::string_view key) const;
  int64_t integer(std::string_view key) const;
  double real(std::string_view key) const;
  const std::string& string(std::string_view key) const;
  const config_value& get(std::string_view key) const;

  /// Where a key's value came from: "default", the file path, or "--set".
  const std::string& origin(std::string_view key) const;
  /// Sets a value after loading (typed like the schema); used by command-line flags.
  status set(std::string_view key, std::string_view text, const std::string& origin);

  /// The whole resolved config as TOML, one table per prefix: what a run directory records.
  std::string to_toml() const;

 private:
  explicit config(const schema& s);
  struct entry {
    config_value value;
    std::string origin;
  };
  const entry& at(std::string_view key) const;
  std::map<std::string, entry, std::less<>> values_;
  // A copy of the schema it was loaded with (shared by copies of the config): the schema a
  // caller passed may be gone by the time set() needs it.
  std::shared_ptr<const schema> schema_;
};

/// A view of the keys under one prefix: `view.integer("rooms")` reads "<prefix>.rooms".
class config_view {
 public:
  config_view(const config& c, std::string prefix) : config_(&c), prefix_(std::move(prefix)) {}
  bool boolean(std::string_view key) const { return config_->boolean(full(key)); }
  int64_t integer(std::string_view key) const { return config_->integer(full(key)); }
  double real(std::string_view key) const { return config_->real(full(key)); }
  const std::string& string(std::string_view key) const { return config_->string(full(key)); }
  const std::string& prefix() const { return prefix_; }
  /// Where "<prefix>.key" came from: "default", a file path or "--set".
  const std::string& origin(std::string_view key) const { return config_->origin(full(key)); }

 private:
  std::string full(std::string_view key) const { return prefix_ + "." + std::string(key); }
  const config* config_;
  std::string prefix_;
};

}  // namespace lantern::core
