#include "envs/nethack/terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <vterm.h>

namespace lantern::envs::nethack {
namespace {

// The number of the read system call, as /proc/PID/syscall prints it.
#if defined(__x86_64__)
constexpr const char* read_syscall_prefix = "0 0x0 ";
#elif defined(__aarch64__)
constexpr const char* read_syscall_prefix = "63 0x0 ";
#else
#error "terminal.cpp: add the read syscall number of this architecture"
#endif

}  // namespace

terminal::terminal() : buf_(1 << 16) {}

terminal::~terminal() {
  kill();
  if (vt_) vterm_free(vt_);
}

core::status terminal::start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                             const std::string& dir, int rows, int cols, std::chrono::milliseconds deadline) {
  if (auto st = spawn(argv, env, dir, rows, cols); !st) return st;
  return await_start(deadline);
}

core::status terminal::spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                             const std::string& dir, int rows, int cols) {
  kill();
  rows_ = rows;
  cols_ = cols;
  if (!vt_) {
    vt_ = vterm_new(rows, cols);
    vterm_set_utf8(vt_, 1);
    screen_ = vterm_obtain_screen(vt_);
  } else {
    vterm_set_size(vt_, rows, cols);
  }
  vterm_screen_reset(screen_, 1);
  dirty_ = true;

  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  // A pty by hand and posix_spawn (vfork-based) rather than forkpty: forking a large learner
  // process to start a game would copy its page tables every reset.
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    if (master >= 0) close(master);
    return core::make_error(core::errc::io, std::string("cannot open a pty: ") + std::strerror(errno));
  }
  char slave[128];
  if (ptsname_r(master, slave, sizeof slave) != 0) {
    close(master);
    return core::make_error(core::errc::io, std::string("ptsname: ") + std::strerror(errno));
  }
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  ioctl(master, TIOCSWINSZ, &ws);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  // After setsid, opening the slave makes it the controlling terminal.
  posix_spawn_file_actions_addopen(&fa, 0, slave, O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, 0, 1);
  posix_spawn_file_actions_adddup2(&fa, 0, 2);
  posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &fa, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    close(master);
    return core::make_error(core::errc::io, "cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  pid_ = pid;
  master_ = master;
  fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
  std::string proc = "/proc/" + std::to_string(pid);
  io_fd_ = open((proc + "/io").c_str(), O_RDONLY | O_CLOEXEC);
  syscall_fd_ = open((proc + "/syscall").c_str(), O_RDONLY | O_CLOEXEC);
  stat_fd_ = open((proc + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (io_fd_ < 0 || syscall_fd_ < 0 || stat_fd_ < 0) {
    kill();
    return core::make_error(core::errc::io, "cannot read /proc/" + std::to_string(pid) +
                                                "/{io,syscall,stat}: is the game binary setgid? (use a plain copy)");
  }
  prctl(PR_SET_TIMERSLACK, 1000UL);  // 1 us: keeps ppoll sleeps short (measured: ~1.3x faster steps)
  return {};
}

core::status terminal::await_start(std::chrono::milliseconds deadline) {
  if (pid_ <= 0) return core::make_error(core::errc::internal, "terminal::await_start without a started program");
  wait w = wait_for_key(0, std::chrono::steady_clock::now() + deadline);
  if (w == wait::ready) return {};
  std::string first_row = row_text(0);
  kill();
  return core::make_error(core::errc::io, std::string(w == wait::exited ? "the program exited at start"
                                                                        : "the program did not wait for a key in time") +
                                              "; top line: '" + first_row + "'");
}

terminal::wait terminal::send(std::string_view keys, std::chrono::milliseconds deadline) {
  if (pid_ <= 0) return wait::exited;
  const uint64_t target = read_rchar() + keys.size();
  size_t off = 0;
  auto until = std::chrono::steady_clock::now() + deadline;
  while (off < keys.size()) {
    ssize_t n = write(master_, keys.data() + off, keys.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return wait::exited;
    } else {
      drain();
      if (std::chrono::steady_clock::now() > until) return wait::timeout;
    }
  }
  return wait_for_key(target, until);
}

terminal::wait terminal::wait_for_key(uint64_t target, std::chrono::steady_clock::time_point until) {
  int spins = 0;
  for (;;) {
    bool open = drain();
    // rchar first, then the syscall: see the header.
    if (read_rchar() >= target && blocked_reading_stdin()) {
      drain();  // once the child is blocked, the pty holds everything it wrote
      return wait::ready;
    }
    // A child that exits closes the pty (EIO); waitpid is only a backstop, so it stays off the hot path.
    if (!open || ((spins & 255) == 255 && child_exited())) {
      drain();
      return wait::exited;
    }
    if (std::chrono::steady_clock::now() > until) return wait::timeout;
    if (++spins < 50) {
      sched_yield();
      continue;
    }
    pollfd p{master_, POLLIN, 0};
    timespec ts{0, 20000};  // 20 us
    ppoll(&p, 1, &ts, nullptr);
  }
}

bool terminal::drain() {
  if (master_ < 0) return false;
  for (;;) {
    ssize_t n = read(master_, buf_.data(), buf_.size());
    if (n > 0) {
      vterm_input_write(vt_, buf_.data(), static_cast<size_t>(n));
      dirty_ = true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    if (errno == EINTR) continue;
    return false;  // EIO: the child closed the pty
  }
}

bool terminal::child_exited() {
  if (pid_ <= 0) return true;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return true;
  }
  return false;
}

uint64_t terminal::read_rchar() const {
  char b[512];
  ssize_t n = pread(io_fd_, b, sizeof b - 1, 0);
  if (n <= 0) return 0;
  b[n] = '\0';
  const char* p = std::strstr(b, "rchar: ");
  return p ? std::strtoull(p + 7, nullptr, 10) : 0;
}

bool terminal::blocked_reading_stdin() const {
  char b[512];
  ssize_t n = pread(syscall_fd_, b, sizeof b - 1, 0);
  if (n <= 0) return false;
  b[n] = '\0';
  if (std::strncmp(b, read_syscall_prefix, std::strlen(read_syscall_prefix)) != 0) return false;
  // Asleep in that read, not stopped in it: a stopped child (SIGSTOP, a debugger) can sit at the
  // exit of a read that already took the key.
  n = pread(stat_fd_, b, sizeof b - 1, 0);
  if (n <= 0) return false;
  b[n] = '\0';
  const char* close_paren = std::strrchr(b, ')');
  return close_paren && close_paren[1] == ' ' && close_paren[2] == 'S';
}

void terminal::swap(terminal& o) noexcept {
  std::swap(pid_, o.pid_);
  std::swap(master_, o.master_);
  std::swap(io_fd_, o.io_fd_);
  std::swap(syscall_fd_, o.syscall_fd_);
  std::swap(stat_fd_, o.stat_fd_);
  std::swap(rows_, o.rows_);
  std::swap(cols_, o.cols_);
  std::swap(vt_, o.vt_);
  std::swap(screen_, o.screen_);
  buf_.swap(o.buf_);
  chars_.swap(o.chars_);
  colors_.swap(o.colors_);
  std::swap(dirty_, o.dirty_);
}

void terminal::kill() {
  // SIGKILL before closing the pty: closing it first sends SIGHUP, and NetHack would save.
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  for (int* fd : {&master_, &io_fd_, &syscall_fd_, &stat_fd_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

void terminal::snapshot() const {
  if (!dirty_) return;
  const auto cells = static_cast<size_t>(rows_ * cols_);
  chars_.resize(cells);
  colors_.resize(cells);
  VTermScreenCell cell;
  for (int r = 0; r < rows_; ++r) {
    for (int c = 0; c < cols_; ++c) {
      const size_t i = static_cast<size_t>(r * cols_ + c);
      if (!vterm_screen_get_cell(screen_, VTermPos{r, c}, &cell)) {
        chars_[i] = ' ';
        colors_[i] = 0;
        continue;
      }
      uint32_t ch = cell.chars[0];
      chars_[i] = ch == 0 ? ' ' : ch < 128 ? static_cast<uint8_t>(ch) : '?';
      // tty NetHack draws bright colours as bold; the default foreground counts as grey (7).
      uint8_t col = 7;
      if (VTERM_COLOR_IS_INDEXED(&cell.fg) && !VTERM_COLOR_IS_DEFAULT_FG(&cell.fg)) col = cell.fg.indexed.idx & 7;
      if (cell.attrs.bold) col = static_cast<uint8_t>(col | 8);
      colors_[i] = chars_[i] == ' ' ? 0 : col;
    }
  }
  dirty_ = false;
}

std::string terminal::row_text(int row) const {
  snapshot();
  return std::string(reinterpret_cast<const char*>(chars_.data()) + row * cols_, static_cast<size_t>(cols_));
}

int terminal::find_row(std::string_view needle) const {
  snapshot();
  for (int r = 0; r < rows_; ++r) {
    std::string_view row(reinterpret_cast<const char*>(chars_.data()) + r * cols_, static_cast<size_t>(cols_));
    if (row.find(needle) != std::string_view::npos) return r;
  }
  return -1;
}

void terminal::decode(uint8_t* chars, uint8_t* colors) const {
  snapshot();
  std::memcpy(chars, chars_.data(), chars_.size());
  std::memcpy(colors, colors_.data(), colors_.size());
}

int terminal::cursor_row() const {
  VTermPos p;
  vterm_state_get_cursorpos(vterm_obtain_state(vt_), &p);
  return p.row;
}

int terminal::cursor_col() const {
  VTermPos p;
  vterm_state_get_cursorpos(vterm_obtain_state(vt_), &p);
  return p.col;
}

long terminal::child_rss_kib() const {
  if (pid_ <= 0) return 0;
  FILE* f = std::fopen(("/proc/" + std::to_string(pid_) + "/status").c_str(), "r");
  if (!f) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::strtol(line + 6, nullptr, 10);
  std::fclose(f);
  return kib;
}

}  // namespace lantern::envs::nethack
