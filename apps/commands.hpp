// apps/commands.hpp: the subcommands of the `lantern` binary. Each registers its flags on the
// CLI and runs once parsed; every subcommand also takes --config FILE and --set key=value.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "actors/training.hpp"
#include "cluster/cluster.hpp"
#include "core/config.hpp"
#include "envs/registry.hpp"
#include "learners/policy.hpp"

namespace lantern::apps {

/// What every subcommand shares: the config sources and the program's schema.
struct common_flags {
  std::string config_file;
  std::vector<std::string> overrides;
  std::string log_level = "warn";
};

/// Adds --config, --set and --log-level to a subcommand.
void add_common_flags(CLI::App& cmd, common_flags& f);

/// A CLI check that the text is a decimal integer within [lo, hi], read strictly before CLI11
/// converts it (CLI11 saturates out-of-range integers).
CLI::Validator strict_integer(int64_t lo, int64_t hi);

/// Loads the config; on error prints it and returns nullopt.
std::optional<core::config> load_config(const core::schema& s, const common_flags& f);

/// `lantern play`: registers the subcommand; returns the function that runs it.
std::function<int()> add_play(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f);

/// Adds the play options to the schema.
void add_play_options(core::schema& s);

/// `lantern annotate`, `lantern annotator serve`, `lantern labels export|import|stats`.
/// `lantern keys --out FILE`: a new CURVE key pair for a cluster (core/curve.hpp).
std::function<int()> add_keys(CLI::App& app);
std::function<int()> add_annotate(CLI::App& app, const core::schema& s, common_flags& f);
std::function<int()> add_annotator(CLI::App& app, const core::schema& s, common_flags& f);
std::function<int()> add_labels(CLI::App& app, const core::schema& s, common_flags& f);

/// `lantern train` and `lantern eval`.
struct train_flags {
  std::string run_dir, resume, control;
  int64_t steps = -1;
};
void add_train_flags(CLI::App& cmd, train_flags& t);
/// Makes a run's hooks from its final config (and its TOML text); nullopt: an error was printed.
/// A head also fills `control` with what its control API asks of the directory.
using make_hooks_fn = std::function<std::optional<actors::training_hooks>(
    const core::config&, const std::string&, std::shared_ptr<cluster::head_control>& control)>;
/// SIGINT and SIGTERM ask the running command to stop (cleanly, with a checkpoint).
void install_signal_handlers();
bool stop_requested();
/// Runs `lantern train` (and the head of `lantern node`, which adds its hooks).
int run_train(const envs::env_registry& reg, const core::schema& schema, const common_flags& f, const train_flags& t,
              const make_hooks_fn& make_hooks);
std::function<int()> add_train(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f);

/// A trained policy and its run's config (flags and --set given now apply on top), read from
/// DIR/checkpoint.bin; nullopt: the reason was printed, prefixed with `who`.
struct trained_run {
  core::config cfg;
  std::unique_ptr<learners::policy> pol;
};
std::optional<trained_run> load_trained_run(const envs::env_registry& reg, const core::schema& schema,
                                            const common_flags& f, const std::string& dir, const char* who);

/// `lantern eval` flags.
struct eval_flags {
  std::string run_dir, agent = "policy";
  int64_t episodes = 100, envs = 8, seed = -1;
  bool greedy = false, json = false;
};
std::function<int()> add_eval(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f);

/// `lantern console` (apps/console.cpp).
std::function<int()> add_console(CLI::App& app, const core::schema& s, common_flags& f);

/// `lantern node` and `lantern envs attach|detach|list` (apps/node.cpp).
std::function<int()> add_node(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f);
std::function<int()> add_envs(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f);

}  // namespace lantern::apps
