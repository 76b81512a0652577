#include "core/metrics.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace lantern::core {
namespace {

void atomic_add(std::atomic<double>& a, double d) noexcept {
  double old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, old + d, std::memory_order_relaxed)) {
  }
}

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream out;
  out.precision(12);
  out << v;
  return out.str();
}

// Inserts an extra label into a rendered label set: {a="x"} + le="1" -> {a="x",le="1"}.
std::string with_label(const std::string& rendered, const std::string& extra) {
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

std::string render_labels(const metric_labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ',';
    out += k + "=\"" + escape_label(v) + "\"";
  }
  return out + "}";
}

void gauge::add(double d) noexcept { atomic_add(value_, d); }

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 1; i < bounds_.size(); ++i)
    if (!(bounds_[i] > bounds_[i - 1])) throw std::invalid_argument("histogram bounds must increase");
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void histogram::observe(double v) noexcept {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

double histogram::quantile(double q) const noexcept {
  uint64_t total = count();
  if (total == 0) return 0.0;
  double rank = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    uint64_t in_bucket = bucket(i);
    if (in_bucket > 0 && static_cast<double>(seen + in_bucket) >= rank) {
      double lo = i == 0 ? 0.0 : bounds_[i - 1];
      if (i == bounds_.size()) return lo;  // +Inf bucket: the largest finite bound is all we know
      double hi = bounds_[i];
      double frac = (rank - static_cast<double>(seen)) / static_cast<double>(in_bucket);
      return lo + (hi - lo) * std::clamp(frac, 0.0, 1.0);
    }
    seen += in_bucket;
  }
  return bounds_.empty() ? 0.0 : bounds_.back();
}

std::vector<double> histogram::exponential(double start, double factor, size_t count) {
  std::vector<double> b;
  b.reserve(count);
  for (size_t i = 0; i < count; ++i, start *= factor) b.push_back(start);
  return b;
}

metrics_registry::family& metrics_registry::family_for(const std::string& name, kind type, const std::string& help) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.type = type;
    it->second.help = help;
  } else if (it->second.type != type) {
    throw std::logic_error("metric '" + name + "' registered with two different kinds");
  }
  return it->second;
}

counter& metrics_registry::add_counter(const std::string& name, const std::string& help, const metric_labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family_for(name, kind::counter, help).counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<core::counter>();
  return *slot;
}

gauge& metrics_registry::add_gauge(const std::string& name, const std::string& help, const metric_labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family_for(name, kind::gauge, help).gauges[render_labels(labels)];
  if (!slot) slot = std::make_unique<core::gauge>();
  return *slot;
}

histogram& metrics_registry::add_histogram(const std::string& name, const std::string& help,
                                       std::vector<double> upper_bounds, const metric_labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family_for(name, kind::histogram, help).histograms[render_labels(labels)];
  if (!slot) slot = std::make_unique<core::histogram>(std::move(upper_bounds));
  return *slot;
}

std::string metrics_registry::to_prometheus() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    static const char* kinds[] = {"counter", "gauge", "histogram"};
    out << "# HELP " << name << ' ' << f.help << "\n# TYPE " << name << ' ' << kinds[static_cast<int>(f.type)]
        << '\n';
    for (const auto& [labels, c] : f.counters) out << name << labels << ' ' << c->value() << '\n';
    for (const auto& [labels, g] : f.gauges) out << name << labels << ' ' << number(g->value()) << '\n';
    for (const auto& [labels, h] : f.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= h->bounds().size(); ++i) {
        cumulative += h->bucket(i);
        std::string le = i < h->bounds().size() ? number(h->bounds()[i]) : "+Inf";
        out << name << "_bucket" << with_label(labels, "le=\"" + le + "\"") << ' ' << cumulative << '\n';
      }
      out << name << "_sum" << labels << ' ' << number(h->sum()) << '\n';
      out << name << "_count" << labels << ' ' << h->count() << '\n';
    }
  }
  return out.str();
}

nlohmann::json metrics_registry::to_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, f] : families_) {
    for (const auto& [labels, c] : f.counters) out[name + labels] = c->value();
    for (const auto& [labels, g] : f.gauges) out[name + labels] = g->value();
    for (const auto& [labels, h] : f.histograms)
      out[name + labels] = {{"count", h->count()}, {"sum", h->sum()}, {"p50", h->quantile(0.5)},
                            {"p90", h->quantile(0.9)}, {"p99", h->quantile(0.99)}};
  }
  return out;
}

}  // namespace lantern::core
