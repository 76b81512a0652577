// envs/registry.hpp: environments by name. Each env type declares its config options (added
// to the program's schema under "env.<name>.") and how to build itself from them.
//
//   envs::env_registry reg;
//   envs::register_builtin_envs(reg);         // envs/builtin.cpp: one line per env
//   reg.add_options(schema);                  // before the config is loaded
//   auto env = reg.create("textworld", cfg);  // result<std::unique_ptr<env>>
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "envs/env.hpp"

namespace lantern::envs {

/// How to make one kind of environment.
struct env_entry {
  std::string name;
  std::string description;
  /// Adds the env's knobs under `prefix` ("env.<name>").
  std::function<void(core::schema&, const std::string& prefix)> add_options;
  /// Builds an env from its knobs.
  std::function<core::result<std::unique_ptr<env>>(const core::config_view&)> create;
};

class env_registry {
 public:
  /// Registers an entry; a second entry with the same name replaces the first.
  void add(env_entry e);

  /// Registers a type E that provides: static constexpr name and description, static
  /// add_options(core::schema&, const std::string& prefix) and static create(const core::config_view&).
  template <class E>
  void add() {
    add(env_entry{E::name, E::description, &E::add_options, &E::create});
  }

  /// Adds every registered env's knobs to the schema.
  void add_options(core::schema& s) const;
  /// Builds the env `name` from the keys under "env.<name>." of `cfg`.
  core::result<std::unique_ptr<env>> create(const std::string& name, const core::config& cfg) const;
  const env_entry* find(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::vector<env_entry> entries_;
};

/// Registers the environments that ship with Lantern.
void register_builtin_envs(env_registry& r);

}  // namespace lantern::envs
