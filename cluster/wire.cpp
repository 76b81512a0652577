// How the bridge reads what a peer sends (cluster/wire.hpp).
#include "cluster/wire.hpp"

#include <cstring>

#include <caf/downstream_msg.hpp>
#include <caf/upstream_msg.hpp>

namespace lantern::cluster {

namespace {

// CAF 0.17 gives an actor system its node id only in the init of its middleman (a friend of
// actor_system). Without the middleman every actor's node would be empty and no handle could
// name its process, so this module sets the id the same way, before any actor is spawned. The
// private member is reached through an explicit template instantiation, which the standard
// exempts from access checks.
template <class Tag, typename Tag::type Member>
struct expose {
  friend typename Tag::type member_of(Tag) { return Member; }
};
struct node_member {
  using type = caf::node_id caf::actor_system::*;
  friend type member_of(node_member);
};
template struct expose<node_member, &caf::actor_system::node_>;

class node_identity final : public caf::actor_system::module {
 public:
  explicit node_identity(caf::actor_system& sys) : sys_(sys) {}
  static caf::actor_system::module* make(caf::actor_system& sys, caf::detail::type_list<>) {
    return new node_identity(sys);
  }
  void start() override {}
  void stop() override {}
  void init(caf::actor_system_config& cfg) override {
    sys_.*member_of(node_member{}) = caf::node_id::default_data::local(cfg);
  }
  id_t id() const override { return network_manager; }  // a slot CAF 0.17's core leaves unused
  void* subtype_ptr() override { return this; }

 private:
  caf::actor_system& sys_;
};

}  // namespace

void add_node_identity(caf::actor_system_config& cfg) { cfg.load<node_identity>(); }

namespace wire {

void put_u64(std::vector<char>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_u64(const char*& p, const char* end, uint64_t& v) {
  if (end - p < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  p += 8;
  return true;
}

bool read_node(caf::execution_unit* ctx, const char*& p, const char* end, caf::node_id& node) {
  bounded_deserializer src{ctx, p, static_cast<size_t>(end - p)};
  if (src(node)) return false;
  p = end - src.remaining();
  return static_cast<bool>(node);
}

bool decode_msg(caf::execution_unit* ctx, const char* data, size_t size, decoded_msg& out) {
  bounded_deserializer src{ctx, data, size};
  return !src(out.sender, out.stages, out.receiver, out.mid, out.content) && src.remaining() == 0;
}

bool system_message(const caf::message& m) {
  if (m.empty()) return false;
  if (m.match_element<caf::exit_msg>(0) || m.match_element<caf::down_msg>(0) ||
      m.match_element<caf::group_down_msg>(0) || m.match_element<caf::timeout_msg>(0) ||
      m.match_element<caf::upstream_msg>(0) || m.match_element<caf::downstream_msg>(0) ||
      m.match_element<caf::open_stream_msg>(0))
    return true;
  if (!m.match_element<caf::atom_value>(0)) return false;
  const auto a = m.get_as<caf::atom_value>(0);
  return a == caf::link_atom::value || a == caf::unlink_atom::value || a == caf::sys_atom::value;
}

bool check_frame(caf::execution_unit* ctx, const char* data, size_t size) try {
  if (size == 0) return false;
  const char* p = data + 1;
  const char* end = data + size;
  caf::node_id node;
  uint64_t id = 0;
  switch (static_cast<kind>(data[0])) {
    case hello: {
      if (size < 5) return false;
      p += 4;  // the version
      return read_node(ctx, p, end, node) && p == end;
    }
    case welcome:
      return read_node(ctx, p, end, node) && get_u64(p, end, id) && p == end;
    case msg: {
      decoded_msg m;
      return decode_msg(ctx, p, size - 1, m) && !system_message(m.content);
    }
    case monitor:
      return get_u64(p, end, id) && p == end;
    case down: {
      if (!get_u64(p, end, id)) return false;
      bounded_deserializer src{ctx, p, static_cast<size_t>(end - p)};
      caf::error reason;
      return !src(reason) && src.remaining() == 0;
    }
    case ping:
    case bye:
    case reset:
      return size == 1;
  }
  return false;
} catch (const std::exception&) {  // CAF's decoders throw on some bytes (a bad variant index): as the bridge does
  return false;
}

}  // namespace wire
}  // namespace lantern::cluster
