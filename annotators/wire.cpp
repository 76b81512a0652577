#include "annotators/wire.hpp"

#include <cstring>

namespace lantern::annotators::wire {
namespace {

constexpr uint32_t max_items = 1u << 20;
constexpr uint32_t max_string = 1u << 24;

class writer {
 public:
  void u8(uint8_t v) { out.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void f64(double v) { raw(&v, 8); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out += s;
  }
  void header(msg type, uint64_t id) {
    out.append(magic, 4);
    u8(version);
    u8(static_cast<uint8_t>(type));
    u64(id);
  }
  std::string out;

 private:
  void raw(const void* p, size_t n) {  // the wire is little-endian, as is every platform Lantern builds on
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wire.cpp assumes a little-endian host");
    out.append(static_cast<const char*>(p), n);
  }
};

class reader {
 public:
  explicit reader(std::string_view b) : b_(b) {}
  bool u8(uint8_t& v) { return raw(&v, 1); }
  bool u32(uint32_t& v) { return raw(&v, 4); }
  bool u64(uint64_t& v) { return raw(&v, 8); }
  bool f64(double& v) { return raw(&v, 8); }
  bool str(std::string& s) {
    uint32_t n = 0;
    if (!u32(n) || n > max_string || n > b_.size() - pos_) return false;
    s.assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == b_.size(); }
  size_t left() const { return b_.size() - pos_; }
  // Checks magic and version; reads the type and id.
  core::status header(uint8_t& type, uint64_t& id) {
    if (b_.size() < 14) return core::make_error(core::errc::parse, "message too short (" + std::to_string(b_.size()) + " bytes)");
    if (std::memcmp(b_.data(), magic, 4) != 0) return core::make_error(core::errc::parse, "bad magic: not a Lantern annotator message");
    pos_ = 4;
    uint8_t v = 0;
    u8(v);
    if (v != version)
      return core::make_error(core::errc::parse, "unsupported protocol version " + std::to_string(v) + " (this service speaks 1)");
    u8(type);
    u64(id);
    return {};
  }

 private:
  bool raw(void* p, size_t n) {
    if (n > b_.size() - pos_) return false;
    std::memcpy(p, b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view b_;
  size_t pos_ = 0;
};

}  // namespace

std::string encode_request(const request& r) {
  writer w;
  w.header(r.type, r.id);
  if (r.type == msg::annotate) {
    w.u32(r.deadline_ms);
    w.u32(static_cast<uint32_t>(r.items.size()));
    for (const auto& it : r.items) {
      w.u8(static_cast<uint8_t>(it.k));
      w.str(it.domain);
      w.str(it.goal);
      w.str(it.caption);
      w.str(it.caption2);
    }
  }
  return std::move(w.out);
}

core::result<request> decode_request(std::string_view bytes, uint32_t max_request_items) {
  reader r(bytes);
  request out;
  uint8_t type = 0;
  if (auto st = r.header(type, out.id); !st) return st.error();
  out.type = static_cast<msg>(type);
  if (out.type == msg::stats || out.type == msg::ping) {
    if (!r.done()) return core::make_error(core::errc::parse, "trailing bytes after a stats or ping request");
    return out;
  }
  if (out.type != msg::annotate) return core::make_error(core::errc::parse, "unknown request type " + std::to_string(type));
  uint32_t n = 0;
  if (!r.u32(out.deadline_ms) || !r.u32(n)) return core::make_error(core::errc::parse, "truncated annotate header");
  // Each item takes at least 17 bytes: a count larger than the message can hold is a lie, and
  // believing it would allocate for it.
  if (n > max_items || n > r.left() / 17)
    return core::make_error(core::errc::parse, "item count " + std::to_string(n) + " does not fit the message");
  if (n > max_request_items)
    return core::make_error(core::errc::parse, std::to_string(n) + " items in one request; this service takes at most " +
                                                   std::to_string(max_request_items) + " (annotator.max_request_items)");
  out.items.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t k = 0;
    item& it = out.items[i];
    if (!r.u8(k) || !r.str(it.domain) || !r.str(it.goal) || !r.str(it.caption) || !r.str(it.caption2))
      return core::make_error(core::errc::parse, "truncated item " + std::to_string(i));
    if (k > 1) return core::make_error(core::errc::parse, "item " + std::to_string(i) + ": unknown kind " + std::to_string(k));
    it.k = static_cast<kind>(k);
  }
  if (!r.done()) return core::make_error(core::errc::parse, "trailing bytes after the items");
  return out;
}

std::string encode_reply(const reply& r) {
  writer w;
  w.header(r.type, r.id);
  if (r.type == msg::annotate_reply) {
    w.u32(static_cast<uint32_t>(r.answers.size()));
    for (const auto& a : r.answers) {
      w.u8(static_cast<uint8_t>(a.result));
      w.u8(static_cast<uint8_t>(a.lab.value));
      w.u8(a.lab.from.resolved_by_policy ? 1 : 0);
      w.str(a.lab.from.backend);
      w.str(a.lab.from.model);
      w.str(a.lab.from.prompt_version);
      w.f64(a.lab.from.created_at);
      w.str(a.error);
    }
  } else if (r.type == msg::stats_reply || r.type == msg::error_reply) {
    w.str(r.text);
  }
  return std::move(w.out);
}

core::result<reply> decode_reply(std::string_view bytes) {
  reader r(bytes);
  reply out;
  uint8_t type = 0;
  if (auto st = r.header(type, out.id); !st) return st.error();
  out.type = static_cast<msg>(type);
  if (out.type == msg::annotate_reply) {
    uint32_t n = 0;
    if (!r.u32(n) || n > max_items || n > r.left() / 27) return core::make_error(core::errc::parse, "bad answer count");
    out.answers.resize(n);
    for (auto& a : out.answers) {
      uint8_t res = 0, value = 0, policy = 0;
      if (!r.u8(res) || !r.u8(value) || !r.u8(policy) || !r.str(a.lab.from.backend) || !r.str(a.lab.from.model) ||
          !r.str(a.lab.from.prompt_version) || !r.f64(a.lab.from.created_at) || !r.str(a.error) || res > 2)
        return core::make_error(core::errc::parse, "truncated or bad answer");
      a.result = static_cast<outcome>(res);
      a.lab.value = static_cast<int8_t>(value);
      a.lab.from.resolved_by_policy = policy != 0;
    }
  } else if (out.type == msg::stats_reply || out.type == msg::error_reply) {
    if (!r.str(out.text)) return core::make_error(core::errc::parse, "truncated text");
  } else if (out.type != msg::pong) {
    return core::make_error(core::errc::parse, "unknown reply type " + std::to_string(type));
  }
  if (!r.done()) return core::make_error(core::errc::parse, "trailing bytes in reply");
  return out;
}

}  // namespace lantern::annotators::wire
