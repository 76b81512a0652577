// libFuzzer target: an OpenAI-compatible server's reply body, read by annotators/openai_reply.hpp.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "annotators/openai_reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lantern::annotators;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  openai_reply::usage u;
  (void)openai_reply::completion_texts(body, 16, &u);
  (void)openai_reply::chat_content(body, &u);
  return 0;
}
