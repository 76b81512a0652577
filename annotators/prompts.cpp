#include "annotators/prompts.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

namespace lantern::annotators {

std::string fill(const std::string& templ, const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(templ.size() + 256);
  for (size_t i = 0; i < templ.size();) {
    if (templ[i] == '{') {
      size_t close = templ.find('}', i + 1);
      if (close != std::string::npos) {
        auto it = values.find(templ.substr(i + 1, close - i - 1));
        if (it != values.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += templ[i++];
  }
  return out;
}

core::result<prompt_set> prompt_set::load(const std::string& path) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return core::make_error(core::errc::config, path + ":" + std::to_string(e.source().begin.line) +
                                                    ": TOML syntax error: " + std::string(e.description()));
  } catch (const std::exception& e) {
    return core::make_error(core::errc::io, "cannot read prompt file " + path + ": " + e.what());
  }
  prompt_set p;
  p.domain_ = std::filesystem::path(path).stem().string();
  auto need = [&](const char* key, std::string& out) -> core::status {
    auto v = t.at_path(key).value<std::string>();
    if (!v) return core::make_error(core::errc::config, path + ": key '" + key + "' is missing or not a string");
    out = *v;
    return {};
  };
  if (auto st = need("version", p.version_); !st) return st.error();
  if (auto st = need("system", p.system_); !st) return st.error();
  if (auto st = need("classification.template", p.classification_); !st) return st.error();
  if (auto r = t.at_path("ranking.template").value<std::string>()) p.ranking_ = *r;
  p.open_goals_ = t["open_goals"].value_or(false);
  if (auto* goals = t["goals"].as_table()) {
    for (auto&& [name, node] : *goals) {
      auto text = node.as_table() ? (*node.as_table())["text"].value<std::string>() : std::nullopt;
      if (!text) return core::make_error(core::errc::config, path + ": key 'goals." + std::string(name.str()) + ".text' is missing");
      p.goals_[std::string(name.str())] = *text;
    }
  }
  if (p.goals_.empty() && !p.open_goals_) return core::make_error(core::errc::config, path + ": no [goals.*] table");
  if (auto* ex = t.at_path("classification.examples").as_array()) {
    for (auto&& node : *ex) {
      auto* e = node.as_table();
      if (!e) continue;
      example x;
      if (auto c = (*e)["caption"].value<std::string>()) x.caption = *c;
      for (auto&& [k, v] : *e)
        if (k.str() != "caption")
          if (auto a = v.value<std::string>()) x.answer_by_goal[std::string(k.str())] = *a;
      p.examples_.push_back(std::move(x));
    }
  }
  return p;
}

std::vector<std::string> prompt_set::goals() const {
  std::vector<std::string> out;
  for (const auto& [g, _] : goals_) out.push_back(g);
  return out;
}

core::result<std::string> prompt_set::render(const item& it) const {
  if (!has_goal(it.goal))
    return core::make_error(core::errc::invalid_argument, "unknown goal '" + it.goal + "' for " + domain_);
  std::map<std::string, std::string> v{{"goal", open_goals_ ? it.goal : goals_.at(it.goal)}};
  if (it.k == kind::classification) {
    std::string ex;
    for (const auto& e : examples_) {
      auto a = e.answer_by_goal.find(it.goal);
      if (a == e.answer_by_goal.end()) continue;
      ex += "Message: \"" + e.caption + "\"\nAnswer: " + a->second + "\n";
    }
    v["examples"] = ex;
    v["caption"] = it.caption;
    return fill(classification_, v);
  }
  if (ranking_.empty()) return core::make_error(core::errc::invalid_argument, domain_ + " has no ranking template");
  v["caption1"] = it.caption;
  v["caption2"] = it.caption2;
  return fill(ranking_, v);
}

bool has_own_prompts(const std::string& dir, const std::string& domain) {
  std::error_code ec;
  return domain != "generic" && std::filesystem::is_regular_file(std::filesystem::path(dir) / (domain + ".toml"), ec);
}

const prompt_set* prompts_for(const std::map<std::string, prompt_set>& sets, const std::string& domain) {
  if (auto it = sets.find(domain); it != sets.end()) return &it->second;
  auto generic = sets.find("generic");
  return generic != sets.end() && generic->second.open_goals() ? &generic->second : nullptr;
}

core::result<std::map<std::string, prompt_set>> load_prompt_dir(const std::string& dir) {
  std::map<std::string, prompt_set> out;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".toml") files.push_back(e.path());
  if (ec) return core::make_error(core::errc::io, "cannot read prompt directory " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto p = prompt_set::load(f.string());
    if (!p) return p.error();
    out.emplace(p->domain(), std::move(p.value()));
  }
  if (out.empty()) return core::make_error(core::errc::not_found, "no prompt files (*.toml) in " + dir);
  return out;
}

std::optional<int> parse_answer(kind k, const std::string& reply) {
  // The last line that starts with "answer" (after optional markdown), case-insensitive.
  std::optional<int> found;
  size_t start = 0;
  while (start <= reply.size()) {
    size_t end = reply.find('\n', start);
    if (end == std::string::npos) end = reply.size();
    std::string line;
    for (size_t i = start; i < end; ++i) line += static_cast<char>(std::tolower(static_cast<unsigned char>(reply[i])));
    size_t p = line.find_first_not_of(" \t*#>`_-");
    if (p != std::string::npos && line.compare(p, 6, "answer") == 0) {
      p += 6;
      while (p < line.size() && (line[p] == ' ' || line[p] == ':' || line[p] == '*' || line[p] == '\t')) ++p;
      std::string word;
      while (p < line.size() && std::isalnum(static_cast<unsigned char>(line[p]))) word += line[p++];
      if (k == kind::classification) {
        if (word == "yes") found = positive;
        else if (word == "no") found = negative;
      } else {
        if (word == "1") found = first;
        else if (word == "2") found = second;
        else if (word == "tie") found = tie;
      }
    }
    start = end + 1;
  }
  return found;
}

}  // namespace lantern::annotators
