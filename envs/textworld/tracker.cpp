#include "envs/textworld/tracker.hpp"

#include <algorithm>

namespace lantern::envs::textworld {

void tracker::reset(const state& s, const std::vector<act>& plan) {
  plan_ = plan;
  lost_ = false;
  scratch_ = s;  // sizes the scratch state once per game
}

std::optional<act> tracker::reverse(const engine& eng, const act& a) {
  switch (a.v) {
    case verb::go: return act{verb::go, static_cast<int16_t>(opposite(a.a))};
    case verb::open: return act{verb::close, a.a};
    case verb::close: return act{verb::open, a.a};
    case verb::unlock: return act{verb::lock, a.a, a.b};
    case verb::lock: return act{verb::unlock, a.a, a.b};
    case verb::take: return act{verb::drop, a.a};
    case verb::drop: return act{verb::take, a.a};
    case verb::take_from: {
      bool container = eng.world().entities[static_cast<size_t>(a.b)].k == kind::container;
      return act{container ? verb::insert_into : verb::put_on, a.a, a.b};
    }
    case verb::put_on:
    case verb::insert_into: return act{verb::take_from, a.a, a.b};
    default: return std::nullopt;  // eat, cook, slice, prepare cannot be undone
  }
}

bool tracker::valid(const state& from, const std::vector<act>& p) const {
  scratch_.room = from.room;
  scratch_.loc.assign(from.loc.begin(), from.loc.end());
  scratch_.flags.assign(from.flags.begin(), from.flags.end());
  for (const act& a : p) {
    if (eng_->check(scratch_, a) != failure::none) return false;
    eng_->apply(scratch_, a);
  }
  return eng_->won(scratch_);
}

void tracker::compress_front(const state& s) {
  // The plan was minimal before its first action was pushed, so only stretches that start at
  // the front can have become removable: try the longest first.
  for (size_t j = plan_.size(); j >= 1; --j) {
    candidate_.assign(plan_.begin() + static_cast<long>(j), plan_.end());
    if (valid(s, candidate_)) {
      plan_.swap(candidate_);
      return;
    }
  }
}

void tracker::compress_all(const state& s) {
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < plan_.size() && !changed; ++i) {
      for (size_t j = plan_.size(); j > i && !changed; --j) {
        candidate_.assign(plan_.begin(), plan_.begin() + static_cast<long>(i));
        candidate_.insert(candidate_.end(), plan_.begin() + static_cast<long>(j), plan_.end());
        if (valid(s, candidate_)) {
          plan_.swap(candidate_);
          changed = true;
        }
      }
    }
  }
}

int tracker::update(const act& a, const state& after) {
  if (lost_) return 0;
  const size_t before = plan_.size();
  if (eng_->won(after)) {
    plan_.clear();
    return before > 0 ? 1 : 0;
  }
  auto sign = [&] {
    return plan_.size() < before ? 1 : plan_.size() > before ? -1 : 0;
  };
  // A planned action struck off.
  auto it = std::find(plan_.begin(), plan_.end(), a);
  if (it != plan_.end()) {
    const auto index = static_cast<size_t>(it - plan_.begin());
    candidate_.assign(plan_.begin(), it);
    candidate_.insert(candidate_.end(), it + 1, plan_.end());
    if (valid(after, candidate_)) {
      plan_.swap(candidate_);
      if (index > 0) compress_all(after);  // done out of order: other steps may be moot now
      return sign();
    }
  }
  // An action beside the plan.
  if (valid(after, plan_)) return 0;
  // An action against the plan: undo it first.
  if (auto r = reverse(*eng_, a)) {
    candidate_.assign(1, *r);
    candidate_.insert(candidate_.end(), plan_.begin(), plan_.end());
    if (valid(after, candidate_)) {
      plan_.swap(candidate_);
      compress_front(after);
      return sign();
    }
  }
  lost_ = true;
  return -1;
}

}  // namespace lantern::envs::textworld
