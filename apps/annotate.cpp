// `lantern annotate`, `lantern annotator serve` and `lantern labels export|import|stats`.
#include <signal.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>

#include "annotators/client.hpp"
#include "annotators/service.hpp"
#include "annotators/store.hpp"
#include "apps/commands.hpp"
#include "core/metrics.hpp"

namespace lantern::apps {
namespace {

struct annotate_flags {
  std::string domain = "nethack", goal, kind = "classification", backend, base_url, model, connect;
  int64_t timeout_ms = -1;
  std::vector<std::string> captions;
};

std::string when(double t) {
  std::time_t s = static_cast<std::time_t>(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::gmtime(&s));
  return buf;
}

int run_annotate(const core::schema& schema, const common_flags& f, const annotate_flags& a) {
  auto cfg = load_config(schema, f);
  if (!cfg) return 2;
  std::vector<std::pair<std::string, std::string>> sets;
  if (!a.backend.empty()) sets.emplace_back("annotator.backend", a.backend);
  if (!a.base_url.empty()) sets.emplace_back("annotator.openai.base_url", a.base_url);
  if (!a.model.empty()) sets.emplace_back("annotator.openai.model", a.model);
  if (a.timeout_ms >= 0) sets.emplace_back("annotator.deadline_ms", std::to_string(a.timeout_ms));
  for (const auto& [k, v] : sets)
    if (auto st = cfg->set(k, v, "command line"); !st) {
      std::cerr << "lantern annotate: " << st.error().message << "\n";
      return 2;
    }
  annotators::kind k = a.kind == "ranking" ? annotators::kind::ranking : annotators::kind::classification;
  if (a.captions.empty() || (k == annotators::kind::ranking && a.captions.size() % 2 != 0)) {
    std::cerr << "lantern annotate: give captions to label" << (k == annotators::kind::ranking ? " (ranking: in pairs)" : "")
              << "\n";
    return 2;
  }
  const std::string goal = a.goal.empty() ? (a.domain == "textworld" ? "quest" : "default") : a.goal;
  std::vector<annotators::item> items;
  for (size_t i = 0; i < a.captions.size(); i += k == annotators::kind::ranking ? 2 : 1)
    items.push_back({k, a.domain, goal, a.captions[i], k == annotators::kind::ranking ? a.captions[i + 1] : ""});

  zmq::context_t ctx;
  core::metrics_registry metrics;
  std::unique_ptr<annotators::annotator_service> local;
  std::string endpoint = a.connect;
  if (endpoint.empty()) {  // the embedded service, in this process
    auto svc = annotators::annotator_service::start(*cfg, "inproc://lantern-annotate", ctx, metrics);
    if (!svc) {
      std::cerr << "lantern annotate: " << svc.error().message << "\n";
      return 2;
    }
    local = std::move(svc.value());
    endpoint = local->endpoint();
  }
  annotators::annotator_client client(ctx, endpoint);
  const auto timeout = std::chrono::milliseconds(cfg->integer("annotator.deadline_ms"));
  auto answers = client.annotate(items, timeout);
  if (!answers) {
    std::cerr << "lantern annotate: " << answers.error().message << "\n";
    return 3;
  }
  int failures = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& ans = answers.value()[i];
    const auto& it = items[i];
    std::string subject = "\"" + it.caption + "\"" + (k == annotators::kind::ranking ? " vs \"" + it.caption2 + "\"" : "");
    if (ans.result != annotators::outcome::labelled) {
      ++failures;
      std::cout << annotators::to_string(ans.result) << "  " << subject << "  (" << ans.error << ")\n";
      continue;
    }
    const auto& p = ans.lab.from;
    std::cout << annotators::label_name(k, ans.lab.value) << "  " << subject << "  [goal " << goal << "; " << p.backend
              << (p.model.empty() ? "" : ", model " + p.model) << ", prompt " << p.prompt_version << ", labelled "
              << when(p.created_at) << " UTC" << (p.resolved_by_policy ? ", no label in the reply: set by policy" : "")
              << "]\n";
  }
  return failures ? 1 : 0;
}

int run_serve(const core::schema& schema, const common_flags& f, const std::string& bind) {
  auto cfg = load_config(schema, f);
  if (!cfg) return 2;
  // Block the signals before any thread starts, then wait for one here.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  zmq::context_t ctx;
  core::metrics_registry metrics;
  auto svc = annotators::annotator_service::start(*cfg, bind, ctx, metrics);
  if (!svc) {
    std::cerr << "lantern annotator serve: " << svc.error().message << "\n";
    return 2;
  }
  std::cout << "annotator serving on " << svc.value()->endpoint() << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  std::cout << "annotator: stopping (signal " << sig << ")" << std::endl;
  svc.value()->stop();
  return 0;
}

int run_labels(const core::schema& schema, const common_flags& f, const std::string& verb, const std::string& file) {
  auto cfg = load_config(schema, f);
  if (!cfg) return 2;
  auto store = annotators::label_store::open(annotators::store_path(*cfg));
  if (!store) {
    std::cerr << "lantern labels: " << store.error().message << "\n";
    return 2;
  }
  if (verb == "stats") {
    for (const auto& [k, v] : store.value()->stats()) std::cout << k << "\t" << v << "\n";
    return 0;
  }
  if (verb == "export") {
    std::ofstream file_out;
    std::ostream* out = &std::cout;
    if (!file.empty() && file != "-") {
      file_out.open(file);
      if (!file_out) {
        std::cerr << "lantern labels export: cannot write " << file << "\n";
        return 2;
      }
      out = &file_out;
    }
    auto st = store.value()->export_jsonl(*out);
    if (!st) std::cerr << "lantern labels export: " << st.error().message << "\n";
    return st ? 0 : 1;
  }
  std::ifstream file_in;
  std::istream* in = &std::cin;
  if (!file.empty() && file != "-") {
    file_in.open(file);
    if (!file_in) {
      std::cerr << "lantern labels import: cannot read " << file << "\n";
      return 2;
    }
    in = &file_in;
  }
  auto n = store.value()->import_jsonl(*in);
  if (!n) {
    std::cerr << "lantern labels import: " << n.error().message << "\n";
    return 1;
  }
  std::cout << "imported " << n.value() << " labels into " << store.value()->path() << "\n";
  return 0;
}

}  // namespace

std::function<int()> add_annotate(CLI::App& app, const core::schema& s, common_flags& f) {
  auto a = std::make_shared<annotate_flags>();
  auto* cmd = app.add_subcommand("annotate", "label captions (rules backend by default; an LLM with --backend openai)");
  add_common_flags(*cmd, f);
  cmd->add_option("--domain", a->domain, "nethack or textworld")->capture_default_str();
  cmd->add_option("--goal", a->goal, "goal (nethack: default, gold, combat, descend; textworld: quest)");
  cmd->add_option("--kind", a->kind, "classification, or ranking (captions in pairs)")->capture_default_str();
  cmd->add_option("--backend", a->backend, "rules, openai or replay (annotator.backend)");
  cmd->add_option("--base-url", a->base_url, "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1");
  cmd->add_option("--model", a->model, "model name as the server knows it");
  cmd->add_option("--connect", a->connect, "a running annotator service (tcp://HOST:PORT) instead of the embedded one");
  cmd->add_option("--timeout-ms", a->timeout_ms, "how long to wait for the labels (annotator.deadline_ms)")
      ->check(strict_integer(1, 86400000));
  cmd->add_option("captions", a->captions, "captions to label");
  return [&s, &f, a] { return run_annotate(s, f, *a); };
}

std::function<int()> add_annotator(CLI::App& app, const core::schema& s, common_flags& f) {
  auto bind = std::make_shared<std::string>("tcp://127.0.0.1:7710");
  auto* cmd = app.add_subcommand("annotator", "the annotator service");
  auto* serve = cmd->add_subcommand("serve", "serve annotation requests over ZeroMQ until SIGINT or SIGTERM");
  cmd->require_subcommand(1);
  add_common_flags(*serve, f);
  serve->add_option("--bind", *bind, "ZeroMQ endpoint to bind")->capture_default_str();
  return [&s, &f, bind] { return run_serve(s, f, *bind); };
}

std::function<int()> add_labels(CLI::App& app, const core::schema& s, common_flags& f) {
  auto verb = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("labels", "the label store: export, import (JSON lines) and stats");
  cmd->require_subcommand(1);
  for (const char* v : {"export", "import", "stats"}) {
    auto* sub = cmd->add_subcommand(v, std::string(v) + " labels of the store (annotator.store)");
    add_common_flags(*sub, f);
    if (std::string(v) != "stats") sub->add_option("file", *file, "JSON-lines file ('-' or nothing: stdout/stdin)");
    sub->callback([verb, v] { *verb = v; });
  }
  return [&s, &f, verb, file] { return run_labels(s, f, *verb, *file); };
}

}  // namespace lantern::apps
