#include "annotators/types.hpp"

#include <string_view>

namespace lantern::annotators {

const char* to_string(kind k) noexcept { return k == kind::ranking ? "ranking" : "classification"; }

const char* to_string(outcome o) noexcept {
  switch (o) {
    case outcome::labelled: return "labelled";
    case outcome::unlabelled: return "unlabelled";
    case outcome::error: return "error";
  }
  return "error";
}

std::string label_name(kind k, int value) {
  if (k == kind::classification) return value == positive ? "positive" : "negative";
  return value == first ? "first" : value == second ? "second" : "tie";
}

namespace {

void put_field(std::string& out, std::string_view v) {
  const auto n = static_cast<uint32_t>(v.size());
  for (int b = 0; b < 4; ++b) out += static_cast<char>((n >> (8 * b)) & 0xff);
  out.append(v.data(), v.size());
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string item::key(const std::string& prompt_version, const std::string& source) const {
  std::string s;
  s.reserve(caption.size() + caption2.size() + domain.size() + goal.size() + prompt_version.size() + source.size() + 25);
  s += static_cast<char>(k);
  put_field(s, domain);
  put_field(s, goal);
  put_field(s, prompt_version);
  put_field(s, source);
  put_field(s, caption);
  put_field(s, caption2);
  return s;
}

std::string source_of(const std::string& backend, const std::string& model) {
  const auto space = backend.find(' ');
  return backend.substr(0, space) + ":" + model;
}

std::string source_of(const provenance& p) { return source_of(p.backend, p.model); }

bool source_listed(const std::string& source, const std::string& list) {
  std::string_view rest(list);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    auto entry = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*" || entry == source) return true;
    if (entry.find(':') == std::string_view::npos && source.size() > entry.size() &&
        source.compare(0, entry.size(), entry) == 0 && source[entry.size()] == ':')
      return true;
  }
  return false;
}

}  // namespace lantern::annotators
