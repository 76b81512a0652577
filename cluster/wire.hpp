// cluster/wire.hpp: how the bridge (cluster/bridge.hpp) reads what a peer sends, apart from
// its sockets so that the fuzzer reaches every decoder (tests/fuzz/fuzz_bridge_frame.cpp).
//
// A frame is a kind byte and a body; integers are little-endian, node ids, errors and messages
// are CAF's binary format (bridge.cpp lists the frames). Everything is read through a
// deserializer that refuses a declared sequence longer than the bytes left.
//
//   wire::decoded_msg m;
//   if (wire::decode_msg(&ctx, body, size, m)) dest->enqueue(...m...);
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/all.hpp>

namespace lantern::cluster {

/// Gives the actor system of `cfg` a node id (host and process), as CAF's middleman would: call
/// on every process that links to others, before its actor system starts (configure_system does).
void add_node_identity(caf::actor_system_config& cfg);

namespace wire {

enum kind : char { hello = 1, welcome, msg, ping, monitor, down, bye, reset };

// CAF's binary_deserializer with every declared sequence bounded by the bytes left: a peer's
// "4 GB of bytes follow" is an error, not an allocation.
class bounded_deserializer final : public caf::deserializer {
 public:
  bounded_deserializer(caf::execution_unit* ctx, const char* data, size_t size)
      : caf::deserializer(ctx), in_(ctx, data, size) {}
  size_t remaining() const { return in_.remaining(); }

  caf::error begin_object(uint16_t& nr, std::string& name) override {
    // A message may hold a message (CAF's @message type): without a bound, a peer nests them
    // until the decoder's recursion overflows the stack.
    if (++depth_ > max_depth) return caf::make_error(caf::sec::invalid_argument, "values nested too deep");
    return in_.begin_object(nr, name);
  }
  caf::error end_object() override {
    --depth_;
    return in_.end_object();
  }
  caf::error begin_sequence(size_t& n) override {
    if (auto err = in_.begin_sequence(n)) return err;
    if (n > in_.remaining()) return caf::make_error(caf::sec::invalid_argument, "a sequence longer than its bytes");
    return caf::none;
  }
  caf::error end_sequence() override { return in_.end_sequence(); }
  caf::error apply_raw(size_t n, void* data) override { return in_.apply_raw(n, data); }

 protected:
  caf::error apply_impl(int8_t& x) override { return in_(x); }
  caf::error apply_impl(uint8_t& x) override { return in_(x); }
  caf::error apply_impl(int16_t& x) override { return in_(x); }
  caf::error apply_impl(uint16_t& x) override { return in_(x); }
  caf::error apply_impl(int32_t& x) override { return in_(x); }
  caf::error apply_impl(uint32_t& x) override { return in_(x); }
  caf::error apply_impl(int64_t& x) override { return in_(x); }
  caf::error apply_impl(uint64_t& x) override { return in_(x); }
  caf::error apply_impl(float& x) override { return in_(x); }
  caf::error apply_impl(double& x) override { return in_(x); }
  caf::error apply_impl(long double& x) override { return in_(x); }
  caf::error apply_impl(std::string& x) override { return in_(x); }
  caf::error apply_impl(std::u16string& x) override { return in_(x); }
  caf::error apply_impl(std::u32string& x) override { return in_(x); }

 private:
  static constexpr int max_depth = 32;  // Lantern's messages nest 3 deep
  caf::binary_deserializer in_;
  int depth_ = 0;
};

void put_u64(std::vector<char>& b, uint64_t v);
bool get_u64(const char*& p, const char* end, uint64_t& v);

/// Reads a node id at `p` (advanced past it); false if it does not decode or is empty.
bool read_node(caf::execution_unit* ctx, const char*& p, const char* end, caf::node_id& node);

/// A MSG body: who sent it, its forwarding stages, the receiver's actor id, the message id and
/// the content.
struct decoded_msg {
  caf::strong_actor_ptr sender;
  std::vector<caf::strong_actor_ptr> stages;
  caf::actor_id receiver = 0;
  caf::message_id mid;
  caf::message content;
};

/// Decodes a MSG body (after its kind byte); false unless it decodes whole. Actor handles of
/// other nodes become proxies through `ctx`'s proxy registry (none: the handle is an error).
bool decode_msg(caf::execution_unit* ctx, const char* data, size_t size, decoded_msg& out);

/// True for what only CAF itself may send an actor (exit, down, timeout, stream and link
/// messages): from another node they would stop or confuse it, and no Lantern actor sends them
/// across (monitors and links of remote actors are local to each node).
bool system_message(const caf::message& m);

/// Decodes one frame (kind byte and body) as the bridge's I/O thread would, delivering
/// nothing; true if it is well formed. The fuzzer's entry point.
bool check_frame(caf::execution_unit* ctx, const char* data, size_t size);

}  // namespace wire
}  // namespace lantern::cluster
