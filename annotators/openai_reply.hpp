// annotators/openai_reply.hpp: reading an OpenAI-compatible server's reply body, bytes from
// outside, without trusting its shape. Every function returns an error value for anything that
// is not what the protocol says (a JSON array or scalar, `choices` of the wrong type, a string
// index, usage counters that are not numbers); none throws. Fuzzed (tests/fuzz/).
//
//   openai_reply::usage u;
//   auto texts = openai_reply::completion_texts(body, 16, &u);   // /completions, 16 prompts
//   auto text = openai_reply::chat_content(body, &u);             // /chat/completions
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace lantern::annotators::openai_reply {

/// Token counts a reply reports; fields that are not non-negative integers are not counted.
struct usage {
  uint64_t prompt_tokens = 0, completion_tokens = 0;
};

/// The text of each of `n` prompts of a /completions reply, by each choice's `index`; a prompt
/// without a (string) text gets "". An error if the body is not a JSON object with a `choices`
/// array.
core::result<std::vector<std::string>> completion_texts(std::string_view body, size_t n, usage* u = nullptr);

/// The assistant's content of a /chat/completions reply (its first choice). An error if the
/// body is not a JSON object with a `choices` array whose first element has a string
/// `message.content`.
core::result<std::string> chat_content(std::string_view body, usage* u = nullptr);

}  // namespace lantern::annotators::openai_reply
