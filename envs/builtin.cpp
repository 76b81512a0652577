// The environments that ship with Lantern: one line each.
#include "envs/corridor/corridor_env.hpp"
#include "envs/external/external_env.hpp"
#include "envs/nethack/nethack_env.hpp"
#include "envs/registry.hpp"
#include "envs/textworld/textworld_env.hpp"

namespace lantern::envs {

void register_builtin_envs(env_registry& r) {
  r.add<corridor_env>();
  r.add<external_env>();
  r.add<nethack::nethack_env>();
  r.add<textworld::textworld_env>();
}

}  // namespace lantern::envs
