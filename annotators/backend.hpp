// annotators/backend.hpp: where labels come from when the store has none. Three backends:
// openai (any OpenAI-compatible server), rules (the embedded heuristic default) and replay
// (labels recorded earlier, never invented).
//
//   std::unique_ptr<backend> b = make_backend(cfg, prompts, metrics);   // from the config
//   std::vector<answer> out = b->label(items);                           // one answer per item
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "annotators/prompts.hpp"
#include "annotators/types.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"

namespace lantern::annotators {

class backend {
 public:
  virtual ~backend() = default;
  /// The name that goes into provenance ("openai", "rules (heuristic)", "replay").
  virtual std::string name() const = 0;
  /// Who its labels answer for in the store's keys: "rules:<rules version>", "openai:<model>",
  /// "replay:<store path>" (see source_of). Labels of another source are used only when
  /// annotator.reuse_labels_from lists it.
  virtual std::string source() const = 0;
  /// Labels items; returns exactly one answer per item, in order. Never throws: failures are
  /// answers with outcome::error (or unlabelled).
  virtual std::vector<answer> label(const std::vector<item>& items) = 0;
  /// How many items one label() call should carry.
  virtual size_t preferred_batch() const { return 32; }
  /// Ends calls in flight and refuses new ones: the process is stopping (thread-safe).
  virtual void cancel() {}
  /// Whether it can label captions of this domain and goal; an error says what to write or set.
  virtual core::status supports(const std::string& domain, const std::string& goal) const {
    (void)domain;
    (void)goal;
    return {};
  }
};

/// Adds the annotator's keys (annotator.*) to a schema.
void add_annotator_options(core::schema& s);

/// The prompt directory and the rules file the config names (empty: the ones shipped with Lantern).
std::string prompts_dir(const core::config& cfg);
std::string rules_file(const core::config& cfg);

/// Builds the backend named by annotator.backend.
core::result<std::unique_ptr<backend>> make_backend(const core::config& cfg,
                                                    const std::map<std::string, prompt_set>& prompts,
                                                    core::metrics_registry& metrics);

/// Builds annotator.backend without annotator.flip_fraction's flips.
core::result<std::unique_ptr<backend>> make_unflipped_backend(const core::config& cfg,
                                                              const std::map<std::string, prompt_set>& prompts,
                                                              core::metrics_registry& metrics);

/// `inner` with a fixed share of its labels flipped (a noisy-label test bed; annotator.flip_fraction).
std::unique_ptr<backend> make_flipping_backend(std::unique_ptr<backend> inner, double fraction, uint64_t seed);

/// The heuristic rules backend (annotators/rules/rules.toml).
core::result<std::unique_ptr<backend>> make_rules_backend(const std::string& rules_file);

}  // namespace lantern::annotators
