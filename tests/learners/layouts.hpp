// Observation layouts the learner tests build policies for.
#pragma once

#include "core/buffers.hpp"

namespace lantern::learners::testing {

/// A text game: observation text and candidate commands only.
inline core::obs_layout text_layout() { return core::obs_layout{{}, true, true, core::action_kind::text, 0}; }

/// NetHack's arrays, exactly as the NetHack network reads them.
inline core::obs_layout nethack_layout() {
  core::obs_layout l;
  l.arrays = {{"tty_chars", core::dtype::u8, {24, 80}}, {"tty_colors", core::dtype::u8, {24, 80}},
              {"tty_cursor", core::dtype::i32, {2}}, {"stats", core::dtype::f32, {25}}};
  l.has_caption = true;
  l.actions = core::action_kind::discrete;
  l.num_actions = 28;
  return l;
}

}  // namespace lantern::learners::testing
