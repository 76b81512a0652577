// annotators/ledger.hpp: what a learner has asked the annotator, caption by caption, so that
// every caption ends labelled or counted as given up. A caption is accepted once (a second
// add() is a no-op); it waits, is asked, and is either answered with a label (settled) or, when
// the answer is not a label or no answer comes, asked again after a backoff that doubles from
// `first_backoff` to `max_backoff`, until `max_attempts` asks, when it is given up (settled and
// counted). Pending captions are bounded (`max_pending`; over it a caption is dropped and
// counted), and so are the asks in flight (`max_in_flight`). Everything, pending captions
// included, is saved with the run and restored on resume. Pure bookkeeping: no sockets, no clock.
//
//   label_ledger l({});
//   l.add(item{kind::classification, "textworld", "quest", "You open the chest.", ""}, now);
//   for (auto& it : l.take_due(now, 256)) ...ask it...;   // then l.answered(it, a, now) or l.lost(it, now)
//   assert(l.requested() == l.received() + l.given_up() + l.pending());
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "annotators/types.hpp"
#include "core/error.hpp"

namespace lantern::annotators {

struct ledger_options {
  size_t max_pending = 100000;   ///< captions accepted and not yet settled
  size_t max_in_flight = 4096;   ///< captions asked and not yet answered
  size_t max_settled = 1000000;  ///< settled captions remembered (the oldest are forgotten first)
  int max_attempts = 8;          ///< asks before a caption is given up
  std::chrono::milliseconds first_backoff{1000}, max_backoff{30000};
};

class label_ledger {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  explicit label_ledger(ledger_options o = {});

  /// Accepts an item to label, keyed by its first caption. False if that caption is pending or
  /// settled already, or if max_pending captions are pending (then it is counted as dropped).
  bool add(item it, time_point now);
  /// Up to `max` items due now (and within max_in_flight), marked in flight.
  std::vector<item> take_due(time_point now, size_t max);
  /// The answer for an item in flight: a label settles it; anything else is asked again later.
  void answered(const item& it, const answer& a, time_point now);
  /// An item in flight whose request was never answered: asked again later.
  void lost(const item& it, time_point now);
  /// Every item in flight goes back to waiting, due now, without counting an ask (a new
  /// annotator endpoint, say).
  void requeue_in_flight(time_point now);

  uint64_t requested() const { return requested_; }  ///< captions accepted
  uint64_t received() const { return received_; }    ///< settled with a label
  uint64_t given_up() const { return given_up_; }    ///< settled without one after max_attempts
  uint64_t dropped() const { return dropped_; }      ///< refused: max_pending were pending
  uint64_t asks() const { return asks_; }            ///< items sent, retries included
  uint64_t retries() const { return retries_; }      ///< asks after the first
  uint64_t unanswered() const { return unanswered_; }  ///< answers that were not a label
  uint64_t lost_asks() const { return lost_; }         ///< asks whose request never came back
  size_t pending() const { return entries_.size(); } ///< accepted, not settled
  size_t in_flight() const { return in_flight_; }

  /// The ledger as bytes (counters, pending items with their attempts, settled captions).
  std::string save() const;
  core::status load(const std::string& bytes);

 private:
  struct entry {
    item what;
    int attempts = 0;
    bool in_flight = false;
  };
  void retry_later(entry& e, time_point now);
  void settle(std::string caption);  // by value: callers pass the entry's own caption, which settle erases

  ledger_options o_;
  std::unordered_map<std::string, entry> entries_;  // by caption
  std::deque<std::string> ready_;                   // due now, in arrival order
  using timed = std::pair<time_point, std::string>;
  std::priority_queue<timed, std::vector<timed>, std::greater<>> later_;  // due after a backoff
  std::unordered_set<std::string> settled_;
  std::deque<std::string> settled_order_;
  size_t in_flight_ = 0;
  uint64_t requested_ = 0, received_ = 0, given_up_ = 0, dropped_ = 0, asks_ = 0, retries_ = 0, unanswered_ = 0,
           lost_ = 0;
};

}  // namespace lantern::annotators
