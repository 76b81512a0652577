#include "core/config.hpp"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

namespace lantern::core {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(const schema& s, std::string_view key) {
  const option* best = nullptr;
  size_t best_d = 4;  // suggest only close misspellings
  for (const auto& o : s.options()) {
    size_t d = edit_distance(o.key, key);
    if (d < best_d) {
      best_d = d;
      best = &o;
    }
  }
  return best ? " (did you mean '" + best->key + "'?)" : "";
}

std::string num(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string describe_limits(const option& o) {
  std::ostringstream out;
  if (!o.choices.empty()) {
    out << "one of";
    for (const auto& c : o.choices) out << " '" << c << "'";
    return out.str();
  }
  if (o.min && o.max) out << "between " << num(*o.min) << " and " << num(*o.max);
  else if (o.min) out << "at least " << num(*o.min);
  else if (o.max) out << "at most " << num(*o.max);
  return out.str();
}

// Checks a typed value against the option's limits; empty string when it is fine.
std::string check_limits(const option& o, const config_value& v) {
  auto out_of_range = [&](double x) {
    return (o.min && x < *o.min) || (o.max && x > *o.max);
  };
  if (auto* i = std::get_if<int64_t>(&v); i && out_of_range(static_cast<double>(*i)))
    return "value " + std::to_string(*i) + " is out of range: must be " + describe_limits(o);
  if (auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d)) return "value must be a finite number";
    if (out_of_range(*d)) return "value " + to_toml(v) + " is out of range: must be " + describe_limits(o);
  }
  if (auto* s = std::get_if<std::string>(&v);
      s && !o.choices.empty() && std::find(o.choices.begin(), o.choices.end(), *s) == o.choices.end())
    return "value '" + *s + "' is not allowed: must be " + describe_limits(o);
  return {};
}

// Converts a TOML node to the option's type; empty optional with `why` set on mismatch.
std::optional<config_value> from_node(const option& o, const toml::node& n, std::string& why) {
  const config_value& def = o.default_value;
  if (std::holds_alternative<bool>(def)) {
    if (auto b = n.value_exact<bool>()) return config_value{*b};
  } else if (std::holds_alternative<int64_t>(def)) {
    if (auto i = n.value_exact<int64_t>()) return config_value{*i};
  } else if (std::holds_alternative<double>(def)) {
    if (auto d = n.value_exact<double>()) return config_value{*d};
    if (auto i = n.value_exact<int64_t>()) return config_value{static_cast<double>(*i)};
  } else if (auto s = n.value_exact<std::string>()) {
    return config_value{*s};
  }
  std::ostringstream got;
  got << n.type();
  const char* want = std::holds_alternative<bool>(def)      ? "a boolean"
                     : std::holds_alternative<int64_t>(def) ? "an integer"
                     : std::holds_alternative<double>(def)  ? "a number"
                                                             : "a string";
  why = std::string("expected ") + want + ", got " + got.str();
  return std::nullopt;
}

// Converts override text ("8", "true", "0.5", "word" or "\"word\"") to the option's type.
std::optional<config_value> from_text(const option& o, std::string_view text, std::string& why) {
  std::string t(text);
  const config_value& def = o.default_value;
  if (std::holds_alternative<bool>(def)) {
    if (t == "true" || t == "1") return config_value{true};
    if (t == "false" || t == "0") return config_value{false};
    why = "expected a boolean (true or false), got '" + t + "'";
    return std::nullopt;
  }
  if (std::holds_alternative<int64_t>(def)) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || errno == ERANGE) {
      why = "expected an integer, got '" + t + "'";
      return std::nullopt;
    }
    return config_value{static_cast<int64_t>(v)};
  }
  if (std::holds_alternative<double>(def)) {
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0' || errno == ERANGE) {
      why = "expected a number, got '" + t + "'";
      return std::nullopt;
    }
    return config_value{v};
  }
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return config_value{t};
}

}  // namespace

const char* type_name(const config_value& v) noexcept {
  switch (v.index()) {
    case 0: return "boolean";
    case 1: return "integer";
    case 2: return "real";
    default: return "string";
  }
}

std::string to_toml(const config_value& v) {
  if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) {
    char buf[64];  // the shortest text that reads back as the same double
    std::string s(buf, std::to_chars(buf, buf + sizeof buf, *d).ptr);
    if (s.find_first_of(".eEni") == std::string::npos) s += ".0";
    return s;
  }
  std::string out = "\"";
  for (char c : std::get<std::string>(v)) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

schema& schema::add(option o) {
  auto pos = std::lower_bound(options_.begin(), options_.end(), o.key,
                              [](const option& a, const std::string& k) { return a.key < k; });
  if (pos != options_.end() && pos->key == o.key) {
    *pos = std::move(o);  // a later registration refines an earlier one
  } else {
    options_.insert(pos, std::move(o));
  }
  return *this;
}

schema& schema::boolean(std::string key, bool def, std::string help) {
  return add({std::move(key), def, std::move(help), std::nullopt, std::nullopt, {}});
}

schema& schema::integer(std::string key, int64_t def, std::string help, std::optional<int64_t> min,
                        std::optional<int64_t> max) {
  option o{std::move(key), def, std::move(help), std::nullopt, std::nullopt, {}};
  if (min) o.min = static_cast<double>(*min);
  if (max) o.max = static_cast<double>(*max);
  return add(std::move(o));
}

schema& schema::real(std::string key, double def, std::string help, std::optional<double> min,
                     std::optional<double> max) {
  return add({std::move(key), def, std::move(help), min, max, {}});
}

schema& schema::string(std::string key, std::string def, std::string help, std::vector<std::string> choices) {
  return add({std::move(key), std::move(def), std::move(help), std::nullopt, std::nullopt, std::move(choices)});
}

const option* schema::find(std::string_view key) const {
  auto pos = std::lower_bound(options_.begin(), options_.end(), key,
                              [](const option& a, std::string_view k) { return a.key < k; });
  return pos != options_.end() && pos->key == key ? &*pos : nullptr;
}

schema& schema::retired(std::string key, std::string why) {
  retired_[std::move(key)] = std::move(why);
  return *this;
}

const std::string* schema::retired_reason(std::string_view key) const {
  auto it = retired_.find(key);
  return it == retired_.end() ? nullptr : &it->second;
}

bool schema::is_table(std::string_view prefix) const {
  std::string p = std::string(prefix) + ".";
  auto pos = std::lower_bound(options_.begin(), options_.end(), p,
                              [](const option& a, const std::string& k) { return a.key < k; });
  return pos != options_.end() && pos->key.compare(0, p.size(), p) == 0;
}

bool schema::mark_live(std::string_view key) {
  for (auto& o : options_)
    if (o.key == key) return o.live = true;
  return false;
}

std::string schema::to_markdown() const {
  std::ostringstream out;
  out << "| key | type | default | description |\n|---|---|---|---|\n";
  for (const auto& o : options_) {
    out << "| `" << o.key << "` | " << type_name(o.default_value) << " | `" << to_toml(o.default_value) << "` | "
        << o.help;
    std::string limits = describe_limits(o);
    if (!limits.empty()) out << " (" << limits << ")";
    if (o.live) out << "; **live**: changes on a running training (`POST /api/set`, `lantern console`)";
    out << " |\n";
  }
  return out.str();
}

config::config(const schema& s) : schema_(std::make_shared<const schema>(s)) {
  for (const auto& o : s.options()) values_.emplace(o.key, entry{o.default_value, "default"});
}

result<config> config::load(const schema& s, const std::string& file, const std::vector<std::string>& overrides) {
  if (file.empty()) return parse(s, "", "", overrides);
  // Only a regular file of sane size: a directory read as empty, /dev/zero grew without end and
  // a FIFO blocked for ever.
  constexpr uintmax_t max_bytes = 16u << 20;
  std::error_code ec;
  const auto st = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::exists(st)) return make_error(errc::config, "cannot open config file '" + file + "': no such file");
  if (std::filesystem::is_directory(st)) return make_error(errc::config, "config file '" + file + "' is a directory");
  if (!std::filesystem::is_regular_file(st))
    return make_error(errc::config, "config file '" + file + "' is not a regular file (a device, a FIFO or a socket)");
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size > max_bytes)
    return make_error(errc::config, "config file '" + file + "' is larger than 16 MiB: not a config");
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(errc::config, "cannot open config file '" + file + "'");
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<size_t>(in.gcount()));
  return parse(s, text, file, overrides);
}

result<config> config::parse(const schema& s, std::string_view toml_text, const std::string& origin,
                             const std::vector<std::string>& overrides) {
  config c(s);
  std::vector<std::string> problems;
  if (!toml_text.empty()) {
    toml::table root;
    try {
      root = toml::parse(toml_text, origin);
    } catch (const toml::parse_error& e) {
      std::ostringstream msg;
      msg << origin << ":" << e.source().begin.line << ":" << e.source().begin.column
          << ": TOML syntax error: " << e.description();
      return make_error(errc::config, msg.str());
    }
    // Walk every leaf; a key must be an option, a table must prefix some option.
    auto walk = [&](auto&& self, const toml::table& t, const std::string& prefix) -> void {
      for (auto&& [k, node] : t) {
        std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        std::string where = origin + ":" + std::to_string(node.source().begin.line);
        if (const auto* sub = node.as_table()) {
          if (s.find(key)) {
            problems.push_back(where + ": key '" + key + "' must be a value, not a table");
          } else if (!s.is_table(key)) {
            problems.push_back(where + ": unknown table '" + key + "'" + suggestion(s, key));
          } else {
            self(self, *sub, key);
          }
          continue;
        }
        const option* o = s.find(key);
        if (!o && s.retired_reason(key)) {
          spdlog::warn("{}: key '{}' is ignored: {}", where, key, *s.retired_reason(key));
          continue;
        }
        if (!o) {
          problems.push_back(where + ": unknown key '" + key + "'" + suggestion(s, key));
          continue;
        }
        std::string why;
        auto v = from_node(*o, node, why);
        if (v) why = check_limits(*o, *v);
        if (!why.empty()) {
          problems.push_back(where + ": key '" + key + "': " + why);
          continue;
        }
        c.values_[key] = entry{std::move(*v), origin};
      }
    };
    walk(walk, root, "");
  }
  for (const auto& ov : overrides) {
    auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0) {
      problems.push_back("--set '" + ov + "': expected key=value");
      continue;
    }
    if (auto st = c.set(ov.substr(0, eq), std::string_view(ov).substr(eq + 1), "--set"); !st)
      problems.push_back(st.error().message);
  }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p;
    return make_error(errc::config, msg);
  }
  return c;
}

status config::set(std::string_view key, std::string_view text, const std::string& origin) {
  const option* o = schema_->find(key);
  if (!o) return make_error(errc::config, origin + ": unknown key '" + std::string(key) + "'" + suggestion(*schema_, key));
  std::string why;
  auto v = from_text(*o, text, why);
  if (v) why = check_limits(*o, *v);
  if (!why.empty()) return make_error(errc::config, origin + ": key '" + std::string(key) + "': " + why);
  values_[std::string(key)] = entry{std::move(*v), origin};
  return {};
}

const config::entry& config::at(std::string_view key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    // A typo in Lantern's own code, not in user input: fail loudly.
    throw std::logic_error("config key '" + std::string(key) + "' is not in the schema");
  }
  return it->second;
}

const config_value& config::get(std::string_view key) const { return at(key).value; }
bool config::boolean(std::string_view key) const { return std::get<bool>(at(key).value); }
int64_t config::integer(std::string_view key) const { return std::get<int64_t>(at(key).value); }
double config::real(std::string_view key) const { return std::get<double>(at(key).value); }
const std::string& config::string(std::string_view key) const { return std::get<std::string>(at(key).value); }
const std::string& config::origin(std::string_view key) const { return at(key).origin; }

std::string config::to_toml() const {
  // Group by table so that each table header appears once, top-level keys first.
  std::map<std::string, std::vector<std::pair<std::string, const entry*>>> tables;
  for (const auto& [key, e] : values_) {
    auto dot = key.rfind('.');
    if (dot == std::string::npos) tables[""].emplace_back(key, &e);
    else tables[key.substr(0, dot)].emplace_back(key.substr(dot + 1), &e);
  }
  std::ostringstream out;
  bool first = true;
  for (const auto& [table, leaves] : tables) {
    if (!table.empty()) out << (first ? "" : "\n") << "[" << table << "]\n";
    first = false;
    for (const auto& [leaf, e] : leaves) {
      out << leaf << " = " << core::to_toml(e->value);
      if (e->origin != "default") out << "  # from " << e->origin;
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace lantern::core
