// The `lantern` binary: one program, one subcommand per job.
#include <cerrno>
#include <cstdlib>
#include <iostream>

#include "actors/training.hpp"
#include "apps/commands.hpp"
#include "cluster/cluster.hpp"
#include "core/log.hpp"
#include "envs/registry.hpp"

namespace lantern::apps {

void add_common_flags(CLI::App& cmd, common_flags& f) {
  cmd.add_option("--config", f.config_file, "TOML config file (defaults apply to what it leaves out)");
  cmd.add_option("--set", f.overrides, "override a config key: --set section.key=value (repeatable)")
      ->allow_extra_args(false);  // one value per --set: what follows is an argument
  cmd.add_option("--log-level", f.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
}

CLI::Validator strict_integer(int64_t lo, int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        // CLI11 saturates an integer out of range (10^20 became 2^63-1): read it strictly first.
        errno = 0;
        char* end = nullptr;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0') return "'" + text + "' is not an integer";
        if (errno == ERANGE || v < lo || v > hi)
          return "'" + text + "' is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
        return {};
      },
      "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

std::optional<core::config> load_config(const core::schema& s, const common_flags& f) {
  auto cfg = core::config::load(s, f.config_file, f.overrides);
  if (!cfg) {
    std::cerr << "lantern: config error:\n" << cfg.error().message << "\n";
    return std::nullopt;
  }
  return std::move(cfg.value());
}

}  // namespace lantern::apps

int main(int argc, char** argv) {
  using namespace lantern;
  envs::env_registry registry;
  envs::register_builtin_envs(registry);
  core::schema schema;
  actors::add_run_options(schema, registry);
  apps::add_play_options(schema);
  cluster::add_cluster_options(schema);

  CLI::App app{"Lantern: distributed actor-based RL with intrinsic rewards learned online from LLM feedback"};
  app.require_subcommand(1);
  apps::common_flags flags;

  auto run_play = apps::add_play(app, registry, schema, flags);
  auto run_annotate = apps::add_annotate(app, schema, flags);
  auto run_annotator = apps::add_annotator(app, schema, flags);
  auto run_labels = apps::add_labels(app, schema, flags);
  auto run_train = apps::add_train(app, registry, schema, flags);
  auto run_eval = apps::add_eval(app, registry, schema, flags);

  auto* options = app.add_subcommand("options", "print every config key with its type, default and description");
  options->callback([&] { std::cout << schema.to_markdown(); });

  auto run_node = apps::add_node(app, registry, schema, flags);
  auto run_envs = apps::add_envs(app, registry, schema, flags);
  auto run_console = apps::add_console(app, schema, flags);
  auto run_keys = apps::add_keys(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the reason
    return 2;     // a bad command line is a usage error, like a bad config
  }
  if (auto st = core::setup_logging(flags.log_level); !st) {
    std::cerr << "lantern: " << st.error().message << "\n";
    return 2;
  }
  if (app.got_subcommand("play")) return run_play();
  if (app.got_subcommand("annotate")) return run_annotate();
  if (app.got_subcommand("annotator")) return run_annotator();
  if (app.got_subcommand("labels")) return run_labels();
  if (app.got_subcommand("train")) return run_train();
  if (app.got_subcommand("eval")) return run_eval();
  if (app.got_subcommand("node")) return run_node();
  if (app.got_subcommand("envs")) return run_envs();
  if (app.got_subcommand("console")) return run_console();
  if (app.got_subcommand("keys")) return run_keys();
  return 0;
}
