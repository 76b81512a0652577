#include "annotators/ledger.hpp"

#include <algorithm>
#include <sstream>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

namespace lantern::annotators {

label_ledger::label_ledger(ledger_options o) : o_(o) {}

bool label_ledger::add(item it, time_point now) {
  (void)now;
  if (entries_.count(it.caption) || settled_.count(it.caption)) return false;
  if (entries_.size() >= o_.max_pending) {
    ++dropped_;
    return false;
  }
  ++requested_;
  ready_.push_back(it.caption);
  std::string caption = it.caption;
  entries_.emplace(std::move(caption), entry{std::move(it), 0, false});
  return true;
}

std::vector<item> label_ledger::take_due(time_point now, size_t max) {
  while (!later_.empty() && later_.top().first <= now) {
    ready_.push_back(later_.top().second);
    later_.pop();
  }
  std::vector<item> out;
  while (!ready_.empty() && out.size() < max && in_flight_ < o_.max_in_flight) {
    auto e = entries_.find(ready_.front());
    ready_.pop_front();
    if (e == entries_.end() || e->second.in_flight) continue;  // settled or requeued meanwhile
    e->second.in_flight = true;
    if (e->second.attempts++ > 0) ++retries_;
    ++asks_;
    ++in_flight_;
    out.push_back(e->second.what);
  }
  return out;
}

void label_ledger::answered(const item& it, const answer& a, time_point now) {
  auto e = entries_.find(it.caption);
  if (e == entries_.end() || !e->second.in_flight) return;  // settled already, or not ours
  e->second.in_flight = false;
  --in_flight_;
  if (a.result == outcome::labelled) {
    ++received_;
    settle(it.caption);
    return;
  }
  ++unanswered_;
  retry_later(e->second, now);
}

void label_ledger::lost(const item& it, time_point now) {
  auto e = entries_.find(it.caption);
  if (e == entries_.end() || !e->second.in_flight) return;
  e->second.in_flight = false;
  --in_flight_;
  ++lost_;
  retry_later(e->second, now);
}

void label_ledger::requeue_in_flight(time_point now) {
  (void)now;
  for (auto& [caption, e] : entries_) {
    if (!e.in_flight) continue;
    e.in_flight = false;
    --in_flight_;
    if (e.attempts > 0) --e.attempts;  // the ask never had a chance: not counted against it
    ready_.push_back(caption);
  }
}

void label_ledger::retry_later(entry& e, time_point now) {
  if (e.attempts >= o_.max_attempts) {
    ++given_up_;
    settle(e.what.caption);
    return;
  }
  const std::chrono::milliseconds wait =
      std::min<std::chrono::milliseconds>(o_.first_backoff * (1LL << std::min(e.attempts - 1, 20)), o_.max_backoff);
  later_.emplace(now + wait, e.what.caption);
}

void label_ledger::settle(std::string caption) {
  entries_.erase(caption);
  if (settled_.insert(caption).second) settled_order_.push_back(std::move(caption));
  while (settled_order_.size() > o_.max_settled) {  // bounded: the oldest are forgotten
    settled_.erase(settled_order_.front());
    settled_order_.pop_front();
  }
}

std::string label_ledger::save() const {
  std::ostringstream out;
  {
    cereal::PortableBinaryOutputArchive ar(out);
    ar(std::string("ledger-v1"), requested_, received_, given_up_, dropped_, asks_, retries_);
    std::vector<std::string> captions, captions2, domains, goals;
    std::vector<uint8_t> kinds;
    std::vector<int32_t> attempts;
    for (const auto& [caption, e] : entries_) {  // in flight now: asked again after the resume
      captions.push_back(e.what.caption);
      captions2.push_back(e.what.caption2);
      domains.push_back(e.what.domain);
      goals.push_back(e.what.goal);
      kinds.push_back(static_cast<uint8_t>(e.what.k));
      attempts.push_back(e.in_flight && e.attempts > 0 ? e.attempts - 1 : e.attempts);
    }
    ar(captions, captions2, domains, goals, kinds, attempts);
    std::vector<std::string> settled(settled_order_.begin(), settled_order_.end());
    ar(settled);
  }
  return out.str();
}

core::status label_ledger::load(const std::string& bytes) {
  try {
    std::istringstream in(bytes);
    cereal::PortableBinaryInputArchive ar(in);
    std::string tag;
    ar(tag);
    if (tag != "ledger-v1") return core::make_error(core::errc::parse, "not a label ledger: '" + tag + "'");
    ar(requested_, received_, given_up_, dropped_, asks_, retries_);
    std::vector<std::string> captions, captions2, domains, goals, settled;
    std::vector<uint8_t> kinds;
    std::vector<int32_t> attempts;
    ar(captions, captions2, domains, goals, kinds, attempts, settled);
    const size_t n = captions.size();
    if (captions2.size() != n || domains.size() != n || goals.size() != n || kinds.size() != n || attempts.size() != n)
      return core::make_error(core::errc::parse, "label ledger: pending items are incomplete");
    entries_.clear();
    ready_.clear();
    later_ = {};
    in_flight_ = 0;
    for (size_t i = 0; i < n; ++i) {
      item it{kinds[i] == 1 ? kind::ranking : kind::classification, domains[i], goals[i], captions[i], captions2[i]};
      ready_.push_back(captions[i]);
      entries_.emplace(captions[i], entry{std::move(it), attempts[i], false});
    }
    settled_.clear();
    settled_order_.clear();
    for (auto& c : settled)
      if (settled_.insert(c).second) settled_order_.push_back(std::move(c));
  } catch (const std::exception& e) {
    return core::make_error(core::errc::parse, std::string("label ledger: ") + e.what());
  }
  return {};
}

}  // namespace lantern::annotators
