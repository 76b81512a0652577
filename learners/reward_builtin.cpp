// The reward models that ship with Lantern: one line each (the entry is defined beside its model).
#include "learners/reward_registry.hpp"

namespace lantern::learners {

reward_entry retrieval_entry();       // learners/reward_models.cpp
reward_entry bow_entry();             // learners/reward_models.cpp
reward_entry classification_entry();  // learners/trained_models.cpp
reward_entry ranking_entry();         // learners/trained_models.cpp
reward_entry ensemble_entry();        // learners/ensemble_model.cpp

void register_builtin_reward_models(reward_registry& r) {
  r.add(retrieval_entry());
  r.add(classification_entry());
  r.add(ranking_entry());
  r.add(bow_entry());
  r.add(ensemble_entry());
}

}  // namespace lantern::learners
