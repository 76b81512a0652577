#include "annotators/openai_reply.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace lantern::annotators::openai_reply {
namespace {

using json = nlohmann::json;

core::error_info bad(const std::string& why) {
  return core::make_error(core::errc::parse, "the LLM server's reply " + why);
}

// Parses without exceptions; a depth limit keeps a reply of nested brackets from recursing
// deeply (nlohmann's parser recurses per level).
core::result<json> object_of(std::string_view body) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {  // a cheap pre-scan: brackets outside strings
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') deepest = std::max(deepest, ++depth);
    else if (c == '}' || c == ']') --depth;
  }
  if (deepest > 64) return bad("nests more than 64 levels");
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return bad("is not JSON");
  if (!j.is_object()) return bad(std::string("is a JSON ") + j.type_name() + ", not an object");
  return j;
}

void read_usage(const json& j, usage* u) {
  if (!u) return;
  auto it = j.find("usage");
  if (it == j.end() || !it->is_object()) return;
  auto count = [&](const char* name) -> uint64_t {
    auto f = it->find(name);
    return f != it->end() && f->is_number_unsigned() ? f->get<uint64_t>() : 0;
  };
  u->prompt_tokens += count("prompt_tokens");
  u->completion_tokens += count("completion_tokens");
}

core::result<const json*> choices_of(const json& j) {
  auto it = j.find("choices");
  if (it == j.end()) return bad("has no choices");
  if (!it->is_array()) return bad(std::string("has choices as a ") + it->type_name() + ", not an array");
  return &*it;
}

}  // namespace

core::result<std::vector<std::string>> completion_texts(std::string_view body, size_t n, usage* u) {
  auto j = object_of(body);
  if (!j) return j.error();
  read_usage(*j, u);
  auto choices = choices_of(*j);
  if (!choices) return choices.error();
  std::vector<std::string> out(n);
  size_t position = 0;
  for (const auto& c : **choices) {
    const size_t here = position++;
    if (!c.is_object()) continue;
    // `index` says which prompt a choice answers; without a usable one, its position does.
    size_t idx = here;
    if (auto i = c.find("index"); i != c.end()) {
      if (!i->is_number_unsigned()) continue;
      idx = i->get<size_t>();
    }
    auto t = c.find("text");
    if (idx < n && t != c.end() && t->is_string()) out[idx] = t->get<std::string>();
  }
  return out;
}

core::result<std::string> chat_content(std::string_view body, usage* u) {
  auto j = object_of(body);
  if (!j) return j.error();
  read_usage(*j, u);
  auto choices = choices_of(*j);
  if (!choices) return choices.error();
  if ((*choices)->empty()) return bad("has no choices");
  const json& first = (**choices)[0];
  if (!first.is_object()) return bad("has a choice that is not an object");
  auto m = first.find("message");
  if (m == first.end() || !m->is_object()) return bad("has a choice without a message");
  auto content = m->find("content");
  if (content == m->end() || !content->is_string()) return bad("has a message without text content");
  return content->get<std::string>();
}

}  // namespace lantern::annotators::openai_reply
