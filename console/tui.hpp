// console/tui.hpp: `lantern console`, the terminal UI: a client of a run's control API
// (cluster/control.hpp) that redraws once a second: the run, the learners, the annotator,
// sparklines of return and of steps/s, the nodes, every actor with its mailbox and steps/s, and
// the latest labels; keys pause (p), resume (r), checkpoint (c), set the intrinsic coefficient
// (i), quit (q).
//
//   console::tui_options o{"127.0.0.1:7780", token};
//   return console::run_tui(o);   // until q; a run that goes away is shown as unreachable until it is back
#pragma once

#include <string>

namespace lantern::console {

struct tui_options {
  std::string control = "127.0.0.1:7780";  ///< HOST:PORT of the control API
  std::string token;                        ///< the cluster token (or the run's control.token)
  double refresh_seconds = 1.0;
};

/// Runs the terminal UI until the user quits; returns a process exit code (0, or 1 when the API
/// refuses the token).
int run_tui(const tui_options& o);

}  // namespace lantern::console
