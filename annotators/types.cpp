#include "annotators/types.hpp"

#include "core/rng.hpp"

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

uint64_t item::key(const std::string& prompt_version) const {
  std::string s;
  s.reserve(caption.size() + caption2.size() + domain.size() + goal.size() + prompt_version.size() + 8);
  s += static_cast<char>(k);
  s += domain;
  s += '\0';
  s += goal;
  s += '\0';
  s += prompt_version;
  s += '\0';
  s += caption;
  s += '\0';
  s += caption2;
  return core::fnv1a(s);
}

}  // namespace lantern::annotators
