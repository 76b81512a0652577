// annotators/types.hpp: what is labelled and what comes back. A caption (one for
// classification, two for ranking) is judged for a goal ("default", "gold", "quest", ...) of an
// environment domain ("nethack", "textworld"); the answer is a label with its provenance, an
// "unlabelled" (replay has nothing, or the deadline passed) or an error.
//
//   annotators::item it{kind::classification, "nethack", "default", "You kill the newt!", ""};
//   std::string key = it.key("nethack-v1", "openai:Qwen2.5-7B");  // what the store and service dedupe on
#pragma once

#include <cstdint>
#include <string>

namespace lantern::annotators {

/// Classification: is this caption helpful progress towards the goal? Ranking: which of two
/// captions shows more progress?
enum class kind : uint8_t { classification = 0, ranking = 1 };

/// Classification labels: negative 0, positive 1. Ranking labels: first 0, second 1, tie 2.
enum label_value : int8_t { negative = 0, positive = 1, first = 0, second = 1, tie = 2 };

/// What the service answers for one item.
enum class outcome : uint8_t {
  labelled = 0,    ///< a label, with provenance
  unlabelled = 1,  ///< no label: replay has none, or the deadline passed before one came
  error = 2,       ///< the item is malformed, the queue is full, or the backend failed for good
};

const char* to_string(kind k) noexcept;
const char* to_string(outcome o) noexcept;
/// "positive"/"negative" or "first"/"second"/"tie".
std::string label_name(kind k, int value);

/// One thing to label.
struct item {
  kind k = kind::classification;
  std::string domain;   ///< "nethack", "textworld": which prompts and rules apply
  std::string goal;     ///< a named goal of the domain
  std::string caption;  ///< the caption (classification) or the first caption (ranking)
  std::string caption2; ///< ranking: the second caption

  /// The store key: kind, domain, goal, prompt version, the source that labels it (backend and
  /// model, see source_of) and the caption(s), each length-prefixed, so two different items
  /// never share a key (captions may hold any byte, NUL included). The same caption asked of
  /// the same source twice has the same key: requests are idempotent.
  std::string key(const std::string& prompt_version, const std::string& source) const;
};

/// Where a label came from.
struct provenance {
  std::string backend;         ///< "openai", "rules (heuristic)", "replay of openai", ...
  std::string model;           ///< the LLM's model name, or the rules file's version
  std::string prompt_version;
  double created_at = 0;       ///< seconds since the epoch
  bool resolved_by_policy = false;  ///< the reply had no label; the configured policy decided
};

/// Who makes a label, as store keys name it: the backend's first word and its model,
/// "rules:rules-v1", "openai:Qwen2.5-7B-Instruct", "replay:/path/of/store.sqlite".
std::string source_of(const std::string& backend, const std::string& model);
std::string source_of(const provenance& p);
/// Whether `source` is one of a comma-separated list of sources; an entry without a model
/// ("rules", "openai") matches any model of that backend, and "*" matches every source.
bool source_listed(const std::string& source, const std::string& list);

/// A label with its provenance.
struct label {
  int value = 0;
  provenance from;
  std::string raw_reply;  ///< kept for a sample of labels (and every unparsable one)
};

/// The answer for one item.
struct answer {
  outcome result = outcome::unlabelled;
  label lab;
  std::string error;  ///< why, for unlabelled and error
};

}  // namespace lantern::annotators
