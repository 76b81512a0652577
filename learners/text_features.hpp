// learners/text_features.hpp: captions and commands as bags of hashed features (lower-cased
// words, word bigrams and character trigrams), the input of Lantern's text encoders and of its
// bag-of-words reward. Hashing keeps the vocabulary open: any caption maps to feature ids.
//
//   std::vector<int64_t> ids;
//   hashed_features("You kill the newt!", 1 << 16, ids);   // ids in [0, 65536)
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace lantern::learners {

/// Appends the hashed feature ids of `text` (in [0, buckets)); an empty text gives none.
void hashed_features(std::string_view text, uint32_t buckets, std::vector<int64_t>& out);

/// Lower-cased alphanumeric words of a text.
std::vector<std::string_view> words_of(std::string_view text, std::vector<char>& scratch);

}  // namespace lantern::learners
