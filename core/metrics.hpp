// core/metrics.hpp: counters, gauges and histograms that every component feeds and that the
// console, the run log and Prometheus `/metrics` read. Registering takes a lock; updating a
// metric is lock-free (atomics), so hot loops can count without contention.
//
//   core::metrics_registry reg;
//   auto& steps = reg.add_counter("env_steps_total", "environment steps taken", {{"env", "textworld"}});
//   steps.add(64);
//   std::cout << reg.to_prometheus();
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace lantern::core {

/// Label pairs that distinguish series of one metric, e.g. {{"env", "nethack"}}.
using metric_labels = std::map<std::string, std::string>;

/// A monotonically increasing count.
class counter {
 public:
  void add(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down (queue depth, policy version, steps/s).
class gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// Counts observations into fixed buckets (upper bounds, Prometheus-style, cumulative on output).
class histogram {
 public:
  explicit histogram(std::vector<double> upper_bounds);
  void observe(double v) noexcept;
  uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const noexcept { return bounds_; }
  /// Observations in bucket i (not cumulative); the last bucket is +Inf.
  uint64_t bucket(size_t i) const noexcept { return buckets_[i].load(std::memory_order_relaxed); }
  /// Estimated quantile q in [0,1] by linear interpolation inside the bucket (0 when empty).
  double quantile(double q) const noexcept;

  /// Exponential bucket bounds: start, start*factor, ... (count bounds).
  static std::vector<double> exponential(double start, double factor, size_t count);

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

/// Owns every metric of a process. References returned stay valid for the registry's lifetime.
class metrics_registry {
 public:
  /// The metric of that name and labels, created on first use.
  core::counter& add_counter(const std::string& name, const std::string& help, const metric_labels& labels = {});
  core::gauge& add_gauge(const std::string& name, const std::string& help, const metric_labels& labels = {});
  core::histogram& add_histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds,
                       const metric_labels& labels = {});

  /// Prometheus text exposition format (version 0.0.4).
  std::string to_prometheus() const;
  /// One JSON object: {"name{labels}": value, ...}; histograms give count, sum, p50, p90, p99.
  nlohmann::json to_json() const;

 private:
  enum class kind { counter, gauge, histogram };
  struct family {
    kind type;
    std::string help;
    std::map<std::string, std::unique_ptr<core::counter>> counters;      // by rendered labels
    std::map<std::string, std::unique_ptr<core::gauge>> gauges;
    std::map<std::string, std::unique_ptr<core::histogram>> histograms;
  };
  family& family_for(const std::string& name, kind type, const std::string& help);
  mutable std::mutex mutex_;
  std::map<std::string, family> families_;
};

/// Renders labels as Prometheus does: {a="x",b="y"} (empty string for no labels).
std::string render_labels(const metric_labels& labels);

}  // namespace lantern::core
