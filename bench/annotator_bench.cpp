// The annotator service's speed: store hits in-process (against a SQLite primary-key query per
// lookup, side by side), labels per second over ZeroMQ on loopback with batching (against one
// item per request), and the latency the service adds on top of a backend call (rules backend,
// so that the backend itself costs microseconds; a miss includes the store commit).
// One JSON line per result.
//
//   build/bin/annotator_bench
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "annotators/backend.hpp"
#include "annotators/client.hpp"
#include "annotators/service.hpp"
#include "annotators/store.hpp"
#include "core/rng.hpp"

using namespace lantern;
using namespace lantern::annotators;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

item caption(int i) { return item{kind::classification, "nethack", "default", "You kill monster number " + std::to_string(i) + "!", ""}; }

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main() {
  const std::string dir = std::filesystem::temp_directory_path().string() + "/lantern-annotator-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/labels.sqlite";
  constexpr int n = 100000;
  {
    auto store = label_store::open(path);
    std::vector<label_store::entry> entries;
    for (int i = 0; i < n; ++i)
      entries.push_back({caption(i), label{i % 2, provenance{"rules (heuristic)", "rules-v1", "nethack-v1", 1, false}, ""}, ""});
    if (auto st = store.value()->put(entries); !st) {
      std::fprintf(stderr, "%s\n", st.error().message.c_str());
      return 1;
    }
  }
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(caption(i).key("nethack-v1", "rules:rules-v1"));

  // 1. Store hits in-process, and a SQLite query per lookup as the baseline.
  {
    auto store = label_store::open(path);
    core::pcg32 rng(1);
    uint64_t found = 0, lookups = 0;
    auto t0 = clock_type::now();
    while (seconds_since(t0) < 1.0)
      for (int i = 0; i < 10000; ++i, ++lookups) found += store.value()->find(keys[rng.below(n)]).has_value();
    const double per_s = static_cast<double>(lookups) / seconds_since(t0);
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT value FROM labels WHERE key = ?", -1, &q, nullptr);
    uint64_t sql_lookups = 0;
    t0 = clock_type::now();
    while (seconds_since(t0) < 1.0)
      for (int i = 0; i < 1000; ++i, ++sql_lookups) {
        const std::string& k = keys[rng.below(n)];
        sqlite3_bind_blob(q, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
        found += sqlite3_step(q) == SQLITE_ROW;
        sqlite3_reset(q);
      }
    const double sql_per_s = static_cast<double>(sql_lookups) / seconds_since(t0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    std::printf("{\"name\": \"annotator.store_hits.in_process\", \"value\": %.0f, \"unit\": \"lookups/s\", \"target\": "
                "1000000, \"ratio_to_target\": %.2f, \"baseline\": \"SQLite query per lookup\", \"baseline_value\": %.0f, "
                "\"ratio_to_baseline\": %.1f, \"found\": %llu}\n",
                per_s, per_s / 1e6, sql_per_s, per_s / sql_per_s, static_cast<unsigned long long>(found));
    std::fflush(stdout);
  }

  core::schema schema;
  add_annotator_options(schema);
  auto cfg = core::config::load(schema, "", {"annotator.store=" + path});
  zmq::context_t ctx;
  core::metrics_registry metrics;
  auto svc = annotator_service::start(*cfg, "tcp://127.0.0.1:0", ctx, metrics);
  if (!svc) {
    std::fprintf(stderr, "%s\n", svc.error().message.c_str());
    return 1;
  }

  // 2. Labels per second over ZeroMQ on loopback: batches of 1,000 hits, 8 requests in flight;
  //    the baseline sends one item per request, one request at a time.
  {
    annotator_client c(ctx, svc.value()->endpoint(), std::chrono::seconds(60));
    core::pcg32 rng(2);
    auto batch = [&](int size) {
      std::vector<item> items;
      for (int i = 0; i < size; ++i) items.push_back(caption(static_cast<int>(rng.below(n))));
      return items;
    };
    uint64_t labels = 0;
    auto t0 = clock_type::now();
    for (int i = 0; i < 8; ++i) c.submit(batch(1000), std::chrono::seconds(10));
    while (seconds_since(t0) < 2.0) {
      for (auto& done : c.poll(std::chrono::milliseconds(5))) {
        labels += done.answers.size();
        c.submit(batch(1000), std::chrono::seconds(10));
      }
    }
    const double per_s = static_cast<double>(labels) / seconds_since(t0);
    while (c.outstanding() > 0) c.poll(std::chrono::milliseconds(5));
    uint64_t single = 0;
    t0 = clock_type::now();
    while (seconds_since(t0) < 1.0) {
      auto out = c.annotate(batch(1), std::chrono::seconds(5));
      single += out ? 1 : 0;
    }
    const double single_per_s = static_cast<double>(single) / seconds_since(t0);
    std::printf("{\"name\": \"annotator.labels.zeromq_loopback_batched\", \"value\": %.0f, \"unit\": \"labels/s\", "
                "\"batch\": 1000, \"in_flight\": 8, \"target\": 100000, \"ratio_to_target\": %.2f, \"baseline\": "
                "\"one item per request\", \"baseline_value\": %.0f, \"ratio_to_baseline\": %.1f}\n",
                per_s, per_s / 1e5, single_per_s, per_s / single_per_s);
    std::fflush(stdout);
  }

  // 3. Latency the service adds on top of a backend call, for store misses.
  {
    auto direct = make_rules_backend(rules_file(*cfg));
    std::vector<double> backend_ms, service_ms;
    for (int i = 0; i < 500; ++i) {
      auto t0 = clock_type::now();
      direct.value()->label({caption(n + 1000000 + i)});
      backend_ms.push_back(seconds_since(t0) * 1e3);
    }
    annotator_client c(ctx, svc.value()->endpoint());
    for (int i = 0; i < 500; ++i) {
      auto t0 = clock_type::now();
      auto out = c.annotate({caption(n + i)}, std::chrono::seconds(5));  // a miss: backend + commit + reply
      service_ms.push_back(seconds_since(t0) * 1e3);
    }
    const double added = percentile(service_ms, 0.5) - percentile(backend_ms, 0.5);
    std::printf("{\"name\": \"annotator.added_latency.p50\", \"value\": %.3f, \"unit\": \"ms\", \"target\": 1, "
                "\"ratio_to_target\": %.2f, \"service_p50_ms\": %.3f, \"service_p99_ms\": %.3f, \"backend_p50_ms\": %.3f, "
                "\"includes\": \"ZeroMQ round trip, queue, SQLite commit\"}\n",
                added, added / 1.0, percentile(service_ms, 0.5), percentile(service_ms, 0.99),
                percentile(backend_ms, 0.5));
  }
  svc.value()->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
