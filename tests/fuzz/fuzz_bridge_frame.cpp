// libFuzzer target: one frame from a peer of the bridge (cluster/wire.hpp), as a process that
// holds the cluster's key could send it after the CURVE handshake: HELLO, WELCOME, MONITOR, DOWN
// and MSG, whose body is CAF's binary format with any of Lantern's message types. Any bytes
// decode or are refused: no crash, and no allocation beyond what the bytes hold (CAF's own
// deserializer resizes a byte vector to a declared size before it checks; wire's does not).
#include <cstddef>
#include <cstdint>
#include <memory>

#include <caf/all.hpp>
#include <caf/scoped_execution_unit.hpp>

#include "actors/protocol.hpp"
#include "cluster/wire.hpp"

namespace {

struct world {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_execution_unit> ctx;
  world() {
    lantern::actors::add_message_types(cfg);
    lantern::cluster::add_node_identity(cfg);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    cfg.set("scheduler.max-threads", size_t{1});
    sys = std::make_unique<caf::actor_system>(cfg);
    ctx = std::make_unique<caf::scoped_execution_unit>(sys.get());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static world* w = new world;  // never destroyed: an actor system torn down at exit crashes in CAF 0.17
  (void)lantern::cluster::wire::check_frame(w->ctx.get(), reinterpret_cast<const char*>(data), size);
  return 0;
}
