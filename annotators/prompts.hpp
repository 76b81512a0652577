// annotators/prompts.hpp: prompt templates as versioned data files (annotators/prompts/*.toml),
// rendered for an item, and the strict parser of the LLM's answer line.
//
//   auto set = prompt_set::load("annotators/prompts/nethack.toml");
//   std::string user = set->render(it);                 // placeholders filled in one pass
//   auto v = parse_answer(kind::classification, reply);  // "Answer: yes" -> positive; no line -> nullopt
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "annotators/types.hpp"
#include "core/error.hpp"

namespace lantern::annotators {

class prompt_set {
 public:
  /// Loads a prompt file; every problem names the file and the key.
  static core::result<prompt_set> load(const std::string& path);

  const std::string& domain() const { return domain_; }
  const std::string& version() const { return version_; }
  const std::string& system() const { return system_; }
  /// A named goal of the file, or, with open_goals (the generic prompts), any short text: the
  /// goal is then the text itself.
  bool has_goal(const std::string& goal) const {
    return open_goals_ ? !goal.empty() && goal.size() <= 1000 : goals_.count(goal) > 0;
  }
  bool open_goals() const { return open_goals_; }
  std::vector<std::string> goals() const;

  /// The user message for an item (its goal must exist; ranking needs the ranking template).
  core::result<std::string> render(const item& it) const;

 private:
  std::string domain_, version_, system_, classification_, ranking_;
  bool open_goals_ = false;
  std::map<std::string, std::string> goals_;
  struct example {
    std::string caption;
    std::map<std::string, std::string> answer_by_goal;
  };
  std::vector<example> examples_;
};

/// The prompts for a domain: its own file, else the generic set (generic.toml) whose goal is
/// the text the request carries; nullptr when neither exists.
const prompt_set* prompts_for(const std::map<std::string, prompt_set>& sets, const std::string& domain);

/// Whether `dir` has a prompt file of the domain's own (<domain>.toml): its goals are names;
/// otherwise the generic prompts take the goal as text.
bool has_own_prompts(const std::string& dir, const std::string& domain);

/// Every prompt set of a directory (one *.toml per domain), by domain.
core::result<std::map<std::string, prompt_set>> load_prompt_dir(const std::string& dir);

/// Fills {name} placeholders in one pass; unknown names are left as they are.
std::string fill(const std::string& templ, const std::map<std::string, std::string>& values);

/// The label in a reply's last "Answer: ..." line (yes/no; 1/2/tie), or nothing.
std::optional<int> parse_answer(kind k, const std::string& reply);

}  // namespace lantern::annotators
