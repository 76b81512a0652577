// envs/textworld/tracker.hpp: quest progress with TextWorld's intermediate-reward semantics.
// The tracker keeps a plan that wins from the current state (initially the walkthrough). After
// each state-changing action: a planned action is struck off; an action that undoes progress
// pushes its reverse onto the plan; the plan is then compressed by dropping any stretch whose
// removal still wins. The intermediate reward is sign(old length - new length); when no plan
// can be repaired (an ingredient eaten, food burned) the quest is lost.
//
//   tracker t(eng);  t.reset(g.initial, g.walkthrough);
//   int progress = t.update(a, s_after);   // +1, 0 or -1
//   if (t.lost()) ...
#pragma once

#include <optional>
#include <vector>

#include "envs/textworld/engine.hpp"

namespace lantern::envs::textworld {

class tracker {
 public:
  explicit tracker(const engine& eng) : eng_(&eng) {}

  void reset(const state& s, const std::vector<act>& plan);
  /// Called after a legal action `a` changed the state to `after`; returns sign of progress.
  int update(const act& a, const state& after);

  bool lost() const noexcept { return lost_; }
  const std::vector<act>& plan() const noexcept { return plan_; }

  /// The action that undoes `a` (take <-> drop, open <-> close, north <-> south, ...), if any.
  static std::optional<act> reverse(const engine& eng, const act& a);

 private:
  bool valid(const state& from, const std::vector<act>& p) const;
  void compress_front(const state& s);
  void compress_all(const state& s);

  const engine* eng_;
  std::vector<act> plan_;
  std::vector<act> candidate_;
  mutable state scratch_;
  bool lost_ = false;
};

}  // namespace lantern::envs::textworld
