#include "envs/nethack/nethack_env.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

#ifndef LANTERN_NETHACK_SHIM
#define LANTERN_NETHACK_SHIM ""
#endif

namespace lantern::envs::nethack {
namespace fs = std::filesystem;
namespace {

std::string trim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  size_t b = s.find_first_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b);
}

std::optional<task> parse_task(const std::string& s) {
  if (s == "score") return task::score;
  if (s == "gold") return task::gold;
  if (s == "staircase") return task::staircase;
  if (s == "oracle") return task::oracle;
  return std::nullopt;
}

constexpr int map_top = 1, map_bottom = 21;  // screen rows of the map
constexpr uint8_t bright_blue = 12;          // the Oracle's colour (and an elf-lord's)

}  // namespace

void nethack_env::add_options(core::schema& s, const std::string& p) {
  s.string(p + ".task", "score", "reward: score (change of the bottom-line score), gold (change of gold), staircase "
           "(reach Dlvl depth), oracle (stand next to the Oracle)", {"score", "gold", "staircase", "oracle"});
  s.integer(p + ".depth", 3, "staircase task: the dungeon level to reach", 2, 50);
  s.integer(p + ".max_steps", 5000, "steps before an episode is truncated", 1, 10000000);
  s.string(p + ".role", "valkyrie", "character role (or random)",
           {"archeologist", "barbarian", "caveman", "healer", "knight", "monk", "priest", "rogue", "ranger",
            "samurai", "tourist", "valkyrie", "wizard", "random"});
  s.string(p + ".race", "human", "character race (or random)", {"human", "elf", "dwarf", "gnome", "orc", "random"});
  s.string(p + ".gender", "female", "character gender (or random)", {"male", "female", "random"});
  s.string(p + ".alignment", "neutral", "character alignment (or random)", {"lawful", "neutral", "chaotic", "random"});
  s.boolean(p + ".pet", false, "start with a pet");
  s.string(p + ".autopickup", "$?!/", "object classes picked up by walking over them (empty: autopickup off)");
  s.string(p + ".actions", "task", "action set: task (23 NLE task actions + cast, quaff, pray, pick up, pay) or full",
           {"task", "full"});
  s.integer(p + ".step_deadline_ms", 5000, "a game that does not wait for a key within this is killed and restarted",
            10, 600000);
  s.boolean(p + ".seeded", true, "reproducible games: the seed shim controls the game's randomness and clock");
  s.integer(p + ".clock", 1600000000, "seeded games: what time() returns (it sets the moon phase and night)", 0);
  s.boolean(p + ".prespawn", false, "start the next episode's game while this one is played (hides reset latency; "
            "a second game process per env)");
  s.boolean(p + ".wizard", false, "NetHack's debug mode, for tests and debugging (root or a sysconf WIZARD only)");
  s.string(p + ".binary", "/usr/lib/games/nethack/nethack-console", "the NetHack binary to copy and run");
  s.string(p + ".runtime_dir", "", "where playgrounds live (empty: $TMPDIR/lantern-nethack)");
}

core::result<std::unique_ptr<env>> nethack_env::create(const core::config_view& cfg) {
  nethack_options o;
  o.goal = *parse_task(cfg.string("task"));
  o.depth = static_cast<int>(cfg.integer("depth"));
  o.max_steps = static_cast<int>(cfg.integer("max_steps"));
  o.role = cfg.string("role");
  o.race = cfg.string("race");
  o.gender = cfg.string("gender");
  o.alignment = cfg.string("alignment");
  o.pet = cfg.boolean("pet");
  o.autopickup = cfg.string("autopickup");
  o.actions = cfg.string("actions");
  o.step_deadline_ms = static_cast<int>(cfg.integer("step_deadline_ms"));
  o.seeded = cfg.boolean("seeded");
  o.clock = static_cast<long>(cfg.integer("clock"));
  o.prespawn = cfg.boolean("prespawn");
  o.wizard = cfg.boolean("wizard");
  o.binary = cfg.string("binary");
  o.runtime_dir = cfg.string("runtime_dir");
  for (char c : o.autopickup)
    if (!std::strchr("$?!/=\"+%)[(*`0_", c))
      return core::make_error(core::errc::config, cfg.origin("autopickup") + ": key '" + cfg.prefix() +
                                                      ".autopickup': '" + std::string(1, c) + "' is not an object class");
  auto e = make(std::move(o));
  if (!e) return e.error();
  return std::unique_ptr<env>(std::move(e.value()));
}

core::result<std::unique_ptr<nethack_env>> nethack_env::make(nethack_options opt) {
  std::unique_ptr<nethack_env> e(new nethack_env(std::move(opt)));
  if (e->actions_.empty())
    return core::make_error(core::errc::invalid_argument, "unknown action set '" + e->opt_.actions + "'");
  if (auto st = e->prepare_playground(); !st) return st.error();
  if (auto st = e->check_character(); !st) return st.error();
  return e;
}

core::status nethack_env::check_character() {
  // NetHack quietly replaces what it cannot make (an orcish Valkyrie becomes a human one), so
  // start a game once and read who it made from the welcome line.
  auto st = launch(0);
  if (!st) return st;
  caption_.clear();
  settle(terminal::wait::ready);
  term_.kill();
  clean_playground();
  const auto at = caption_.find("You are a");
  if (at == std::string::npos) return {};  // no welcome line to check against
  std::string made = caption_.substr(at);
  made = made.substr(0, made.find('.') + 1);
  std::string lower = made;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, const char*> race_words[] = {
      {"human", "human"}, {"elf", "elven"}, {"dwarf", "dwarven"}, {"gnome", "gnomish"}, {"orc", "orcish"}};
  bool ok = true;
  for (const auto& [race, adjective] : race_words)
    if (opt_.race == race && lower.find(std::string(" ") + adjective + " ") == std::string::npos) ok = false;
  if (opt_.alignment != "random" && lower.find(" " + opt_.alignment + " ") == std::string::npos) ok = false;
  // Role names can be gendered (caveman/cavewoman, priest/priestess): compare their stems.
  std::string role_stem = opt_.role.substr(0, std::min<size_t>(opt_.role.size(), 5));
  if (opt_.role != "random" && lower.find(role_stem) == std::string::npos) ok = false;
  if (opt_.gender != "random" && lower.find(opt_.gender == "male" ? " female " : " male ") != std::string::npos) ok = false;
  if (ok) return {};
  return core::make_error(core::errc::config, "env.nethack: NetHack cannot make a " + opt_.alignment + " " +
                                                  opt_.gender + " " + opt_.race + " " + opt_.role +
                                                  " (keys role, race, gender, alignment); it made: '" + made + "'");
}

nethack_env::nethack_env(nethack_options opt) : opt_(std::move(opt)), actions_(action_set(opt_.actions)) {
  spec_.name = name;
  spec_.description = description;
  spec_.layout.arrays = {{"tty_chars", core::dtype::u8, {24, 80}},
                         {"tty_colors", core::dtype::u8, {24, 80}},
                         {"tty_cursor", core::dtype::i32, {2}},
                         {"stats", core::dtype::f32, {stat_count}}};
  spec_.layout.has_caption = true;
  spec_.layout.actions = core::action_kind::discrete;
  spec_.layout.num_actions = static_cast<int32_t>(actions_.size());
  for (const auto& a : actions_) spec_.action_names.push_back(a.name);
  spec_.max_episode_steps = opt_.max_steps;
}

nethack_env::~nethack_env() {
  term_.kill();
  standby_.kill();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
  if (!standby_dir_.empty()) fs::remove_all(standby_dir_, ec);
}

core::status private_directory(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(fs::path(dir).parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return core::make_error(core::errc::io, "cannot create " + dir + ": " + std::strerror(errno));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return core::make_error(core::errc::io, "cannot stat " + dir + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return core::make_error(core::errc::io, dir + " is not a directory (a symbolic link?): NetHack's playground must be a "
                                            "private directory");
  if (st.st_uid != ::getuid())
    return core::make_error(core::errc::io, dir + " belongs to another user (uid " + std::to_string(st.st_uid) +
                                            "): NetHack's playground must be this user's alone (env.nethack.runtime_dir)");
  if ((st.st_mode & 077) != 0) {
    if (::chmod(dir.c_str(), 0700) != 0)
      return core::make_error(core::errc::io, dir + " is open to other users and cannot be made private: " +
                                              std::strerror(errno));
  }
  return {};
}

core::status nethack_env::prepare_playground() {
  std::error_code ec;
  std::string root = opt_.runtime_dir;
  if (root.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    root = std::string(tmp && *tmp ? tmp : "/tmp") + "/lantern-nethack-" + std::to_string(::getuid());
  }
  // The playground holds a copy of the game that Lantern runs: it must be this user's alone. A
  // shared, predictable directory let anyone plant a binary there first.
  if (auto st = private_directory(root); !st) return st;
  // Playgrounds of processes that died without cleaning up.
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::string n = entry.path().filename().string();
    if (n.rfind("inst-", 0) != 0) continue;
    pid_t owner = static_cast<pid_t>(std::strtol(n.c_str() + 5, nullptr, 10));
    if (owner > 0 && ::kill(owner, 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
  // One plain (non-setgid) copy of the game per runtime dir: /proc and LD_PRELOAD need it.
  if (!fs::exists(opt_.binary)) return core::make_error(core::errc::not_found, "NetHack binary not found: " + opt_.binary +
                                                                                 " (install nethack-console)");
  binary_copy_ = root + "/nethack-" + std::to_string(fs::file_size(opt_.binary, ec));
  if (fs::exists(binary_copy_)) {
    struct stat bs {};
    if (::lstat(binary_copy_.c_str(), &bs) != 0 || !S_ISREG(bs.st_mode) || bs.st_uid != ::getuid() ||
        (bs.st_mode & 022) != 0)
      return core::make_error(core::errc::io, binary_copy_ + " is not a plain file of this user's that only it can "
                                              "write: not running it (remove it, or set env.nethack.runtime_dir)");
  } else {
    std::string tmp = binary_copy_ + ".tmp" + std::to_string(getpid());
    fs::copy_file(opt_.binary, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) return core::make_error(core::errc::io, "cannot copy " + opt_.binary + ": " + ec.message());
    ::chmod(tmp.c_str(), 0755);  // drops setgid
    fs::rename(tmp, binary_copy_, ec);
  }
  if (auto st = make_playground(root, dir_); !st) return st;
  if (opt_.prespawn)
    if (auto st = make_playground(root, standby_dir_); !st) return st;
  shim_ = opt_.shim.empty() ? LANTERN_NETHACK_SHIM : opt_.shim;
  if (opt_.seeded && (shim_.empty() || !fs::exists(shim_)))
    return core::make_error(core::errc::not_found, "seed shim not found at '" + shim_ + "'");
  return {};
}

core::status nethack_env::make_playground(const std::string& root, std::string& dir) {
  std::error_code ec;
  std::string tmpl = root + "/inst-" + std::to_string(getpid()) + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) return core::make_error(core::errc::io, "mkdtemp in " + root + ": " + std::strerror(errno));
  dir = tmpl;
  fs::create_directory(dir + "/save", ec);
  const fs::path data = fs::path(opt_.binary).parent_path();
  for (const char* f : {"nhdat", "symbols", "license"}) fs::create_symlink(data / f, dir + "/" + f, ec);
  for (const char* f : {"record", "logfile", "xlogfile", "perm"}) std::ofstream(dir + "/" + f).flush();
  std::ofstream rc(dir + "/nethackrc");
  rc << "OPTIONS=windowtype:tty\n"
     << "OPTIONS=role:" << opt_.role << ",race:" << opt_.race << ",gender:" << opt_.gender
     << ",align:" << opt_.alignment << "\n"
     << (opt_.pet ? "" : "OPTIONS=pettype:none\n")
     << (opt_.autopickup.empty() ? "OPTIONS=!autopickup\n" : "OPTIONS=autopickup,pickup_types:" + opt_.autopickup + "\n")
     << "OPTIONS=!legacy,!news,!mail\n"
     << "OPTIONS=suppress_alert:3.4.3\n"
     << "OPTIONS=number_pad:0\n"
     << "OPTIONS=!bones,!checkpoint\n"
     << "OPTIONS=!timed_delay,!sparkle,runmode:teleport\n"
     << "OPTIONS=time,showexp,color\n"
     << "OPTIONS=!cmdassist,!rest_on_space,!null\n"
     << "OPTIONS=disclose:-i -a -v -g -c -o\n"
     << "OPTIONS=!tombstone\n";
  if (!rc.flush()) return core::make_error(core::errc::io, "cannot write " + dir + "/nethackrc");
  return {};
}

void nethack_env::clean_playground(const std::string& dir) {
  // Stale locks are never reclaimed (after 10: "Too many hacks running now"), and a save file
  // would be restored into the next game.
  // Lock and level files are named "alock", "alock.3" or, in debug mode, "0wizard.1": remove
  // everything the playground was not made with.
  static const char* keep[] = {"nethackrc", "nhdat", "symbols", "license", "record", "logfile", "xlogfile", "perm",
                               "save"};
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string n = entry.path().filename().string();
    if (std::find(std::begin(keep), std::end(keep), n) == std::end(keep)) stale.push_back(entry.path());
  }
  for (const auto& entry : fs::directory_iterator(dir + "/save", ec)) stale.push_back(entry.path());
  for (const auto& p : stale) fs::remove_all(p, ec);
}

core::status nethack_env::spawn_game(terminal& t, const std::string& dir, uint64_t seed) {
  std::vector<std::string> vars = {"TERM=xterm", "HOME=" + dir, "HACKDIR=" + dir, "NETHACKOPTIONS=" + dir + "/nethackrc",
                                   "USER=agent", "LANG=C", "PATH=/usr/bin:/bin"};
  if (opt_.seeded) {
    vars.push_back("LD_PRELOAD=" + shim_);
    vars.push_back("NH_SEED=" + std::to_string(seed));
    vars.push_back("NH_TIME=" + std::to_string(opt_.clock));
  }
  std::vector<std::string> argv = {binary_copy_, "-u", "Agent"};
  if (opt_.wizard) argv.push_back("-D");
  return t.spawn(argv, vars, dir, 24, 80);
}

core::status nethack_env::check_started() {
  auto st = term_.await_start(std::chrono::milliseconds(opt_.step_deadline_ms));
  if (!st) return st;
  const std::string top = term_.row_text(0);
  for (const char* prompt : {"Shall I pick", "Who are you", "Hit return", "Too many hacks", "Restoring save file",
                             "already a game in progress"}) {
    if (top.find(prompt) != std::string::npos) {
      term_.kill();
      return core::make_error(core::errc::config, "NetHack stopped at a prompt instead of starting a game (role " +
                                                      opt_.role + ", race " + opt_.race + ", gender " + opt_.gender +
                                                      ", alignment " + opt_.alignment + "): '" + trim(top) + "'");
    }
  }
  return {};
}

core::status nethack_env::launch(uint64_t seed) {
  if (auto st = spawn_game(term_, dir_, seed); !st) return st;
  return check_started();
}

void nethack_env::prefetch_reset(uint64_t seed) {
  if (!opt_.prespawn) return;
  standby_.kill();
  clean_playground(standby_dir_);
  standby_live_ = static_cast<bool>(spawn_game(standby_, standby_dir_, seed));
  standby_seed_ = seed;
}

void nethack_env::reset(uint64_t seed, slot out) {
  seed_ = seed;
  term_.kill();
  clean_playground();
  core::status st;
  if (standby_live_ && standby_seed_ == seed) {
    // The prespawned game has been starting while the last episode was played.
    standby_live_ = false;
    term_.swap(standby_);
    std::swap(dir_, standby_dir_);
    st = check_started();
  } else {
    st = launch(seed);
  }
  if (!st) {
    spdlog::warn("nethack: start failed ({}); cleaning the playground and retrying once", st.error().message);
    clean_playground();
    st = launch(seed);
    if (!st) throw std::runtime_error("nethack: cannot start a game: " + st.error().message);
  }
  caption_.clear();
  settle(terminal::wait::ready);
  status_known_ = false;
  read_status();
  steps_ = 0;
  gold0_ = last_gold_ = status_.gold;
  max_exp_ = status_.exp;
  deepest_ = std::max(1, status_.dlvl);
  last_score_ = visible_score();
  write(out, 0.0f, false, false, false);
}

terminal::wait nethack_env::settle(terminal::wait w) {
  const auto deadline = std::chrono::milliseconds(opt_.step_deadline_ms);
  auto add = [&](std::string msg) {
    msg = trim(std::move(msg));
    if (msg.empty()) return;
    if (!caption_.empty()) caption_ += ' ';
    caption_ += msg;
  };
  for (int i = 0; i < 64 && w == terminal::wait::ready; ++i) {
    const int more_row = term_.find_row("--More--");
    if (more_row < 0) break;
    std::string top = term_.row_text(0);
    if (more_row == 0) top.erase(top.find("--More--"));
    add(top);
    if (caption_.find("You die") != std::string::npos) return w;  // the end: do not page through the tombstone
    w = term_.send("\r", deadline);  // CR, not ESC: ESC would drop the rest of the turn's messages
  }
  if (w == terminal::wait::ready) {
    std::string top = trim(term_.row_text(0));
    if (!top.empty() && caption_.find(top) == std::string::npos) add(top);
  }
  return w;
}

bool nethack_env::death_on_screen() const {
  // "You die..." is the first sign of most deaths; some ("You fry to a crisp!") only show in the
  // end-of-game lines and the topten list that follow.
  if (caption_.find("You die") != std::string::npos) return true;
  for (const char* end : {"You die", " died in ", "Killed by", " quit in ", "escaped the dungeon",
                          "ascended to demigod", "Do you want your possessions identified"})
    if (term_.find_row(end) >= 0) return true;
  return false;
}

bool nethack_env::prompt_or_menu() const {
  if (term_.cursor_row() == 0) return true;
  if (term_.find_row("(end)") >= 0 || term_.find_row("--More--") >= 0) return true;
  for (int r = 0; r < term_.rows(); ++r) {  // "(1 of 3)": a menu of several pages
    std::string row = term_.row_text(r);
    auto of = row.find(" of ");
    if (of != std::string::npos && row.find('(') < of && row.find(')', of) != std::string::npos) return true;
  }
  return false;
}

void nethack_env::read_status() {
  if (!term_.running()) return;
  std::string l1 = term_.row_text(22), l2 = term_.row_text(23);
  // Menus and text windows may cover the bottom lines: only lines that are status lines are parsed.
  if (l1.find("St:") == std::string::npos || l2.find("HP:") == std::string::npos) return;
  status parsed;
  auto st = parse_status(l1, l2, parsed);
  if (!st) {
    ++parse_failures_;
    last_parse_error_ = st.error().message;
    spdlog::error("nethack: {}", st.error().message);
    return;
  }
  status_ = parsed;
  status_known_ = true;
  if (status_.dlvl > deepest_) deepest_ = status_.dlvl;
  if (status_.exp > max_exp_) max_exp_ = status_.exp;
}

long nethack_env::visible_score() const {
  // botl_score() of NetHack 3.6: gold gained + u.urexp + 50 * (deepest - 1) + a bonus below 20.
  // u.urexp grows by 4 x each experience point gained (and by rare bonuses the screen does not
  // show); it never falls, so the highest experience seen stands in for it.
  long s = std::max(0L, status_.gold - gold0_) + 4 * max_exp_ + 50L * (deepest_ - 1);
  if (deepest_ > 20) s += 1000L * (deepest_ > 30 ? 10 : deepest_ - 20);
  return s;
}

bool nethack_env::oracle_adjacent() {
  // The Oracle is a bright blue '@' on Dlvl 5-9; an elf-lord looks the same, so a candidate is
  // confirmed with farlook (';', a direction, '.'), which takes no game time.
  if (!status_known_ || status_.dlvl < 5 || status_.dlvl > 9) return false;
  const int hr = term_.cursor_row(), hc = term_.cursor_col();
  if (hr < map_top || hr > map_bottom) return false;
  static const struct { int dr, dc; char key; } dirs[] = {{-1, 0, 'k'}, {1, 0, 'j'}, {0, -1, 'h'}, {0, 1, 'l'},
                                                         {-1, -1, 'y'}, {-1, 1, 'u'}, {1, -1, 'b'}, {1, 1, 'n'}};
  std::vector<uint8_t> chars(24 * 80), colors(24 * 80);
  term_.decode(chars.data(), colors.data());
  for (const auto& d : dirs) {
    int r = hr + d.dr, c = hc + d.dc;
    if (r < map_top || r > map_bottom || c < 0 || c >= 80) continue;
    size_t i = static_cast<size_t>(r * 80 + c);
    if (chars[i] != '@' || colors[i] != bright_blue) continue;
    std::string saved = std::move(caption_);
    caption_.clear();
    auto w = settle(term_.send(std::string(";") + d.key + ".", std::chrono::milliseconds(opt_.step_deadline_ms)));
    bool oracle = caption_.find("Oracle") != std::string::npos;
    caption_ = std::move(saved);
    if (w != terminal::wait::ready) return false;
    if (oracle) return true;
  }
  return false;
}

void nethack_env::step(const action& a, slot out) {
  ++steps_;
  caption_.clear();
  out.note().clear();
  if (!term_.running()) {
    // The game vanished between steps (killed from outside): end the episode, say why.
    ++restarts_;
    out.note() = "the game process was gone; the episode was cut and the game will restart";
    write(out, 0.0f, false, true, false);
    return;
  }
  std::string keys;
  if (a.index >= 0) {
    if (static_cast<size_t>(a.index) < actions_.size()) keys = actions_[static_cast<size_t>(a.index)].keys;
    if (a.index == more_action && !prompt_or_menu()) keys.clear();  // CR on the map would rush south
  } else {
    keys = safe_keys(std::string(a.text));
  }
  terminal::wait w = keys.empty() ? terminal::wait::ready
                                  : term_.send(keys, std::chrono::milliseconds(opt_.step_deadline_ms));
  w = settle(w);
  bool terminated = false, truncated = false, success = false;
  float reward = 0.0f;
  if (w == terminal::wait::timeout) {
    ++restarts_;
    out.note() = "the game did not wait for a key within " + std::to_string(opt_.step_deadline_ms) +
                 " ms and was killed";
    spdlog::warn("nethack: {} (seed {}, step {})", out.note(), seed_, steps_);
    term_.kill();
    truncated = true;
  } else if (w == terminal::wait::exited || death_on_screen()) {
    const bool died = death_on_screen();
    if (!died && out.note().empty()) out.note() = "the game exited";
    term_.kill();  // no tombstone, no topten: the episode is over
    terminated = true;
  } else {
    read_status();
    switch (opt_.goal) {
      case task::score: {
        long s = visible_score();
        reward = static_cast<float>(s - last_score_);
        last_score_ = s;
        break;
      }
      case task::gold:
        reward = static_cast<float>(status_.gold - last_gold_);
        last_gold_ = status_.gold;
        break;
      case task::staircase:
        success = status_known_ && status_.dlvl >= opt_.depth;
        break;
      case task::oracle: success = oracle_adjacent(); break;
    }
    if (success) {
      reward = 1.0f;
      terminated = true;
    }
  }
  if (!terminated && steps_ >= opt_.max_steps) truncated = true;
  write(out, reward, terminated, truncated, success);
}

void nethack_env::write(slot& out, float reward, bool terminated, bool truncated, bool success) {
  term_.decode(out.array<uint8_t>(0), out.array<uint8_t>(1));
  int32_t* cursor = out.array<int32_t>(2);
  cursor[0] = term_.cursor_row();
  cursor[1] = term_.cursor_col();
  float* s = out.array<float>(3);
  const status& st = status_;
  const float values[stat_count] = {
      static_cast<float>(cursor[1]), static_cast<float>(cursor[0] - map_top), static_cast<float>(st.strength),
      static_cast<float>(st.strength_percent), static_cast<float>(st.dexterity), static_cast<float>(st.constitution),
      static_cast<float>(st.intelligence), static_cast<float>(st.wisdom), static_cast<float>(st.charisma),
      static_cast<float>(st.alignment), static_cast<float>(st.dlvl), static_cast<float>(st.gold),
      static_cast<float>(st.hp), static_cast<float>(st.hp_max), static_cast<float>(st.pw), static_cast<float>(st.pw_max),
      static_cast<float>(st.ac), static_cast<float>(st.xl), static_cast<float>(st.exp), static_cast<float>(st.turn),
      static_cast<float>(st.hunger), static_cast<float>(st.encumbrance), static_cast<float>(st.conditions),
      static_cast<float>(visible_score()), static_cast<float>(deepest_)};
  std::copy(values, values + stat_count, s);
  out.caption() = caption_;
  out.outcome(reward, terminated, truncated, success, static_cast<float>(visible_score()));
}

}  // namespace lantern::envs::nethack
