#include "envs/nethack/terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
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

  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, &ws);
  if (pid < 0) return core::make_error(core::errc::io, std::string("forkpty failed: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to exec.
    if (chdir(dir.c_str()) != 0) _exit(126);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  pid_ = pid;
  master_ = master;
  fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
  fcntl(master_, F_SETFD, FD_CLOEXEC);
  std::string proc = "/proc/" + std::to_string(pid);
  io_fd_ = open((proc + "/io").c_str(), O_RDONLY | O_CLOEXEC);
  syscall_fd_ = open((proc + "/syscall").c_str(), O_RDONLY | O_CLOEXEC);
  stat_fd_ = open((proc + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (io_fd_ < 0 || syscall_fd_ < 0 || stat_fd_ < 0) {
    kill();
    return core::make_error(core::errc::io, "cannot read /proc/" + std::to_string(pid) +
                                                "/{io,syscall}: is the game binary setgid? (use a plain copy)");
  }
  prctl(PR_SET_TIMERSLACK, 1000UL);  // 1 us: keeps ppoll sleeps short (measured: ~1.3x faster steps)
  wait w = wait_for_key(0, std::chrono::steady_clock::now() + deadline);
  if (w == wait::ready) return {};
  std::string first_row = row_text(0);
  kill();
  return core::make_error(core::errc::io, std::string(w == wait::exited ? "the game exited at start" : "the game did not "
                                                      "wait for a key in time") + "; top line: '" + first_row + "'");
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
    if (!open || child_exited()) {
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

std::string terminal::row_text(int row) const {
  std::string out(static_cast<size_t>(cols_), ' ');
  VTermScreenCell cell;
  for (int c = 0; c < cols_; ++c) {
    if (!vterm_screen_get_cell(screen_, VTermPos{row, c}, &cell)) continue;
    uint32_t ch = cell.chars[0];
    out[static_cast<size_t>(c)] = ch == 0 ? ' ' : ch < 128 ? static_cast<char>(ch) : '?';
  }
  return out;
}

void terminal::decode(uint8_t* chars, uint8_t* colors) const {
  VTermScreenCell cell;
  for (int r = 0; r < rows_; ++r) {
    for (int c = 0; c < cols_; ++c) {
      const size_t i = static_cast<size_t>(r * cols_ + c);
      if (!vterm_screen_get_cell(screen_, VTermPos{r, c}, &cell)) {
        chars[i] = ' ';
        colors[i] = 0;
        continue;
      }
      uint32_t ch = cell.chars[0];
      chars[i] = ch == 0 ? ' ' : ch < 128 ? static_cast<uint8_t>(ch) : '?';
      // tty NetHack draws bright colours as bold; the default foreground counts as grey (7).
      uint8_t col = 7;
      if (VTERM_COLOR_IS_INDEXED(&cell.fg) && !VTERM_COLOR_IS_DEFAULT_FG(&cell.fg)) col = cell.fg.indexed.idx & 7;
      if (cell.attrs.bold) col = static_cast<uint8_t>(col | 8);
      colors[i] = ch == 0 || ch == ' ' ? 0 : col;
    }
  }
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
