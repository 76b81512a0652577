#include "learners/text_features.hpp"

#include <cctype>
#include <string>

#include "core/rng.hpp"

namespace lantern::learners {

void hashed_features(std::string_view text, uint32_t buckets, std::vector<int64_t>& out) {
  std::string lower;
  lower.reserve(text.size() + 2);
  lower += ' ';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    lower += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : ' ';
  }
  lower += ' ';
  auto bucket = [&](uint64_t h) { out.push_back(static_cast<int64_t>(h % buckets)); };
  // Words and word bigrams.
  std::string_view prev;
  size_t i = 0;
  while (i < lower.size()) {
    while (i < lower.size() && lower[i] == ' ') ++i;
    size_t start = i;
    while (i < lower.size() && lower[i] != ' ') ++i;
    if (i == start) break;
    std::string_view w(lower.data() + start, i - start);
    bucket(core::fnv1a(w) ^ 0x1ULL);
    if (!prev.empty()) bucket(core::splitmix64(core::fnv1a(prev)) ^ core::fnv1a(w));
    prev = w;
  }
  // Character trigrams (across word boundaries marked by spaces): robust to inflections.
  for (size_t k = 0; k + 3 <= lower.size(); ++k) {
    if (lower[k] == ' ' && lower[k + 1] == ' ') continue;
    bucket(core::fnv1a(std::string_view(lower.data() + k, 3)) * 0x9e3779b97f4a7c15ULL);
  }
}

std::vector<std::string_view> words_of(std::string_view text, std::vector<char>& scratch) {
  scratch.assign(text.begin(), text.end());
  for (char& c : scratch) {
    auto u = static_cast<unsigned char>(c);
    c = std::isalnum(u) ? static_cast<char>(std::tolower(u)) : ' ';
  }
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < scratch.size()) {
    while (i < scratch.size() && scratch[i] == ' ') ++i;
    size_t start = i;
    while (i < scratch.size() && scratch[i] != ' ') ++i;
    if (i > start) out.emplace_back(scratch.data() + start, i - start);
  }
  return out;
}

}  // namespace lantern::learners
