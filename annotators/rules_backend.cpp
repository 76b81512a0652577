// The rules backend: goal-conditioned regular expressions with weights, from a data file. A
// heuristic stand-in for an LLM: its name, its docs and every label's provenance say so.
// Patterns are RE2 (linear time, no recursion): std::regex overflowed the stack on a 40 KB
// caption, so one long caption could kill any process that labels with the rules.
#include <re2/re2.h>

#include <chrono>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include <memory>

#include "annotators/backend.hpp"

namespace lantern::annotators {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class rules_backend final : public backend {
 public:
  struct rule {
    std::shared_ptr<const re2::RE2> pattern;
    double weight;
  };
  std::map<std::string, std::vector<rule>> rules;  // "domain.goal" -> rules
  std::string version;

  std::string file;

  std::string name() const override { return "rules (heuristic)"; }

  // The rules of a goal of a domain, or those for any goal of it ([[<domain>.any]]).
  std::map<std::string, std::vector<rule>>::const_iterator find(const std::string& domain, const std::string& goal) const {
    auto rs = rules.find(domain + "." + goal);
    return rs != rules.end() ? rs : rules.find(domain + ".any");
  }

  std::string missing(const std::string& domain, const std::string& goal) const {
    return "the rules backend (a heuristic stand-in for an LLM) has no rules for domain '" + domain + "' (goal '" +
           goal.substr(0, 80) + "'): write them in " + file + " or a file of your own (annotator.rules_file), " +
           "for example\n  [[" + domain + ".any]]\n  pattern = \"you reach the goal|you open\"\n  weight = 2\n  [[" +
           domain + ".any]]\n  pattern = \"you bump|you can't\"\n  weight = -1\n(a caption whose matching weights sum "
           "above 0 is positive), or use an LLM: annotator.backend = \"openai\"";
  }

  core::status supports(const std::string& domain, const std::string& goal) const override {
    if (find(domain, goal) == rules.end()) return core::make_error(core::errc::config, missing(domain, goal));
    return {};
  }
  std::string source() const override { return source_of(name(), version); }
  size_t preferred_batch() const override { return 256; }

  double score(const std::vector<rule>& rs, const std::string& caption) const {
    double s = 0;
    for (const auto& r : rs)
      if (re2::RE2::PartialMatch(caption, *r.pattern)) s += r.weight;
    return s;
  }

  std::vector<answer> label(const std::vector<item>& items) override {
    std::vector<answer> out(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      const item& it = items[i];
      auto rs = find(it.domain, it.goal);
      if (rs == rules.end()) {
        out[i].result = outcome::error;
        out[i].error = missing(it.domain, it.goal);
        continue;
      }
      int value;
      if (it.k == kind::classification) {
        value = score(rs->second, it.caption) > 0 ? positive : negative;
      } else {
        double a = score(rs->second, it.caption), b = score(rs->second, it.caption2);
        value = a > b ? first : b > a ? second : tie;
      }
      out[i].result = outcome::labelled;
      out[i].lab.value = value;
      out[i].lab.from = provenance{name(), version, "", now_seconds(), false};
    }
    return out;
  }
};

}  // namespace

core::result<std::unique_ptr<backend>> make_rules_backend(const std::string& rules_file) {
  toml::table t;
  try {
    t = toml::parse_file(rules_file);
  } catch (const toml::parse_error& e) {
    return core::make_error(core::errc::config, rules_file + ":" + std::to_string(e.source().begin.line) +
                                                    ": TOML syntax error: " + std::string(e.description()));
  } catch (const std::exception& e) {
    return core::make_error(core::errc::io, "cannot read rules file " + rules_file + ": " + e.what());
  }
  auto b = std::make_unique<rules_backend>();
  b->file = rules_file;
  b->version = t["version"].value_or(std::string("rules"));
  for (auto&& [domain, node] : t) {
    auto* goals = node.as_table();
    if (!goals) continue;
    for (auto&& [goal, list] : *goals) {
      auto* arr = list.as_array();
      if (!arr) continue;
      std::string key = std::string(domain.str()) + "." + std::string(goal.str());
      for (auto&& r : *arr) {
        auto* rt = r.as_table();
        auto pattern = rt ? (*rt)["pattern"].value<std::string>() : std::nullopt;
        auto weight = rt ? (*rt)["weight"].value<double>() : std::nullopt;
        if (!pattern || !weight)
          return core::make_error(core::errc::config, rules_file + ": every rule of " + key + " needs pattern and weight");
        re2::RE2::Options opts;
        opts.set_case_sensitive(false);
        opts.set_log_errors(false);
        auto re = std::make_shared<const re2::RE2>(*pattern, opts);
        if (!re->ok())
          return core::make_error(core::errc::config, rules_file + ": " + key + ": bad pattern '" + *pattern + "': " +
                                                          re->error());
        b->rules[key].push_back({std::move(re), *weight});
      }
    }
  }
  return std::unique_ptr<backend>(std::move(b));
}

}  // namespace lantern::annotators
