// apps/commands.hpp: the subcommands of the `lantern` binary. Each registers its flags on the
// CLI and runs once parsed; every subcommand also takes --config FILE and --set key=value.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/config.hpp"
#include "envs/registry.hpp"

namespace lantern::apps {

/// What every subcommand shares: the config sources and the program's schema.
struct common_flags {
  std::string config_file;
  std::vector<std::string> overrides;
  std::string log_level = "warn";
};

/// Adds --config, --set and --log-level to a subcommand.
void add_common_flags(CLI::App& cmd, common_flags& f);

/// Loads the config; on error prints it and returns nullopt.
std::optional<core::config> load_config(const core::schema& s, const common_flags& f);

/// `lantern play`: registers the subcommand; returns the function that runs it.
std::function<int()> add_play(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f);

/// Adds the play options to the schema.
void add_play_options(core::schema& s);

/// `lantern annotate`, `lantern annotator serve`, `lantern labels export|import|stats`.
std::function<int()> add_annotate(CLI::App& app, const core::schema& s, common_flags& f);
std::function<int()> add_annotator(CLI::App& app, const core::schema& s, common_flags& f);
std::function<int()> add_labels(CLI::App& app, const core::schema& s, common_flags& f);

/// `lantern train` and `lantern eval`.
std::function<int()> add_train(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f);
std::function<int()> add_eval(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f);

}  // namespace lantern::apps
