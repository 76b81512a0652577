// envs/nethack/terminal.hpp: a terminal program in a pseudo-terminal, its screen decoded by
// libvterm, and the one thing that makes it fast and exact: knowing when the program waits for
// a key. That is read from /proc, never guessed from a quiet period: the bytes the child has
// read (/proc/PID/io rchar) must cover what was sent, and then the child must be blocked in
// read(0, ...) (/proc/PID/syscall). In that order: the other order can catch the child in the
// read it was already blocked in, before it consumed the key.
//
//   terminal t;
//   t.start({"/path/nethack", "-u", "Agent"}, env_vars, dir, 24, 80);
//   if (t.send("k", deadline) == terminal::wait::ready) auto row0 = t.row_text(0);
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

struct VTerm;
struct VTermScreen;

namespace lantern::envs::nethack {

class terminal {
 public:
  enum class wait { ready, exited, timeout };

  terminal();
  ~terminal();
  terminal(const terminal&) = delete;
  terminal& operator=(const terminal&) = delete;

  /// Starts argv[0] in a new pty of rows x cols, in `dir`, with exactly `env` as environment,
  /// and waits until it first waits for a key.
  core::status start(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& dir,
                     int rows, int cols, std::chrono::milliseconds deadline);
  /// Starts the program without waiting: it initialises while the caller does other work.
  core::status spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& dir,
                     int rows, int cols);
  /// After spawn(): waits until the program first waits for a key.
  core::status await_start(std::chrono::milliseconds deadline);
  /// Sends keys and waits until the program waits for the next key (or exits, or the deadline).
  wait send(std::string_view keys, std::chrono::milliseconds deadline);
  /// SIGKILL, reap, close the pty. Safe to call twice.
  void kill();
  bool running() const noexcept { return pid_ > 0; }
  /// Exchanges two terminals (their programs, ptys and screens).
  void swap(terminal& other) noexcept;
  pid_t pid() const noexcept { return pid_; }

  int rows() const noexcept { return rows_; }
  int cols() const noexcept { return cols_; }
  /// One row as text, padded with spaces to the full width (ASCII; other code points become '?').
  std::string row_text(int row) const;
  /// The first row containing `needle`, or -1.
  int find_row(std::string_view needle) const;
  /// Writes characters and colours (0-15: bold adds 8; default foreground = 7) of the screen.
  void decode(uint8_t* chars, uint8_t* colors) const;
  /// Cursor position.
  int cursor_row() const;
  int cursor_col() const;
  /// Resident memory of the child in KiB (from /proc), 0 if unknown.
  long child_rss_kib() const;

 private:
  bool drain();  // reads what the child wrote; false on EOF/EIO
  void snapshot() const;  // decodes the screen once after new output
  bool child_exited();
  wait wait_for_key(uint64_t target_rchar, std::chrono::steady_clock::time_point until);
  uint64_t read_rchar() const;
  bool blocked_reading_stdin() const;

  pid_t pid_ = -1;
  int master_ = -1;
  int io_fd_ = -1;
  int syscall_fd_ = -1;
  int stat_fd_ = -1;
  int rows_ = 24, cols_ = 80;
  VTerm* vt_ = nullptr;
  VTermScreen* screen_ = nullptr;
  std::vector<char> buf_;
  // The decoded screen, refreshed lazily: several readers per step share one decode.
  mutable std::vector<uint8_t> chars_, colors_;
  mutable bool dirty_ = true;
};

}  // namespace lantern::envs::nethack
