// annotators/wire.hpp: the annotator service's wire format, version 1 (docs/annotator-protocol.md).
// Little-endian, length-prefixed; one ZeroMQ frame per message. A client in any language needs
// only struct packing: see docs/annotator-protocol.md for the byte layout and a Python client.
//
//   std::string bytes = encode_request(req);
//   auto back = decode_request(bytes);     // result<request>: malformed input is an error, never UB
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "annotators/types.hpp"
#include "core/error.hpp"

namespace lantern::annotators::wire {

constexpr uint8_t version = 1;
constexpr char magic[4] = {'L', 'N', 'A', 'N'};

enum class msg : uint8_t {
  annotate = 1,        ///< request: label these items
  stats = 2,           ///< request: the service's metrics (JSON)
  ping = 3,            ///< request: are you there?
  annotate_reply = 0x81,
  stats_reply = 0x82,
  pong = 0x83,
  error_reply = 0xFF,  ///< the request could not be read; the text says why
};

struct request {
  msg type = msg::ping;
  uint64_t id = 0;
  uint32_t deadline_ms = 0;
  std::vector<item> items;
};

struct reply {
  msg type = msg::pong;
  uint64_t id = 0;
  std::vector<answer> answers;  ///< annotate_reply
  std::string text;             ///< stats_reply: JSON; error_reply: the reason
};

std::string encode_request(const request& r);
/// Decodes a request; more than `max_items` items is an error found before anything is allocated.
core::result<request> decode_request(std::string_view bytes, uint32_t max_items = 1u << 20);
std::string encode_reply(const reply& r);
core::result<reply> decode_reply(std::string_view bytes);

}  // namespace lantern::annotators::wire
