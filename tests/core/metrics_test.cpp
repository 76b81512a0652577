#include "core/metrics.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>
#include <vector>

namespace lantern::core {
namespace {

TEST(Metrics, CountersAreExactUnderConcurrentUpdates) {
  metrics_registry reg;
  auto& c = reg.add_counter("steps_total", "steps");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) c.add();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 400000u);
}

TEST(Metrics, SameNameAndLabelsGiveTheSameMetric) {
  metrics_registry reg;
  auto& a = reg.add_counter("x_total", "x", {{"env", "tw"}});
  auto& b = reg.add_counter("x_total", "x", {{"env", "tw"}});
  auto& other = reg.add_counter("x_total", "x", {{"env", "nethack"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
}

TEST(Metrics, KindMismatchIsRefused) {
  metrics_registry reg;
  reg.add_counter("q", "x");
  EXPECT_THROW(reg.add_gauge("q", "x"), std::logic_error);
}

TEST(Metrics, GaugesGoUpAndDown) {
  metrics_registry reg;
  auto& g = reg.add_gauge("queue_depth", "depth");
  g.set(5);
  g.add(-2.5);
  EXPECT_DOUBLE_EQ(g.value(), 2.5);
}

TEST(Metrics, HistogramQuantilesFallInTheRightBucket) {
  histogram h({1, 2, 4, 8});
  for (int i = 0; i < 90; ++i) h.observe(0.5);
  for (int i = 0; i < 10; ++i) h.observe(6);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_DOUBLE_EQ(h.sum(), 90 * 0.5 + 60);
  EXPECT_LE(h.quantile(0.5), 1.0);
  EXPECT_GT(h.quantile(0.95), 4.0);
  EXPECT_LE(h.quantile(0.95), 8.0);
  EXPECT_THROW(histogram({2, 1}), std::invalid_argument);
}

TEST(Metrics, PrometheusTextHasHelpTypeAndCumulativeBuckets) {
  metrics_registry reg;
  reg.add_counter("env_steps_total", "environment steps", {{"env", "textworld"}}).add(7);
  auto& h = reg.add_histogram("latency_seconds", "latency", {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string text = reg.to_prometheus();
  EXPECT_NE(text.find("# HELP env_steps_total environment steps\n# TYPE env_steps_total counter\n"
                      "env_steps_total{env=\"textworld\"} 7\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos);
}

TEST(Metrics, JsonSnapshotHasEverySeries) {
  metrics_registry reg;
  reg.add_counter("a_total", "a").add(2);
  reg.add_gauge("b", "b", {{"k", "v"}}).set(1.5);
  auto j = reg.to_json();
  EXPECT_EQ(j["a_total"], 2);
  EXPECT_DOUBLE_EQ(j["b{k=\"v\"}"].get<double>(), 1.5);
}

}  // namespace
}  // namespace lantern::core
