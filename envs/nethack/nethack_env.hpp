// envs/nethack/nethack_env.hpp: real NetHack 3.6.6 (Debian's nethack-console) as a Lantern env.
// Each instance runs a private, non-setgid copy of the game in a 24x80 pty with its own
// playground (no shared lock, save, record or bones files), decodes the screen with libvterm,
// and knows from /proc when the game waits for a key. --More-- is answered by the env, so a
// step's caption holds the whole multi-part message. A seed shim (LD_PRELOAD) makes games
// reproducible: the same seed and actions give the same screens.
//
//   lantern play --env nethack --agent human
//   lantern play --env nethack --set env.nethack.task=staircase --set env.nethack.depth=3
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "envs/env.hpp"
#include "envs/nethack/actions.hpp"
#include "envs/nethack/status.hpp"
#include "envs/nethack/terminal.hpp"

namespace lantern::envs::nethack {

/// Indices of the stats array (float32[stat_count]).
enum stat_index : int {
  stat_x, stat_y, stat_strength, stat_strength_percent, stat_dexterity, stat_constitution, stat_intelligence,
  stat_wisdom, stat_charisma, stat_alignment, stat_dlvl, stat_gold, stat_hp, stat_hp_max, stat_pw, stat_pw_max,
  stat_ac, stat_xl, stat_exp, stat_turn, stat_hunger, stat_encumbrance, stat_conditions, stat_score, stat_deepest,
  stat_count
};

/// Where rewards come from.
enum class task { score, gold, staircase, oracle };

struct nethack_options {
  task goal = task::score;
  int depth = 3;                     ///< staircase: the Dlvl to reach
  int max_steps = 5000;
  std::string role = "valkyrie", race = "human", gender = "female", alignment = "neutral";
  bool pet = false;
  std::string autopickup = "$?!/";   ///< object classes picked up by walking over them ("" = off)
  std::string actions = "task";
  int step_deadline_ms = 5000;       ///< a game that does not wait for a key by then is restarted
  bool seeded = true;                ///< reproducible games through the seed shim
  bool prespawn = false;             ///< start the next episode's game while this one is played
  bool wizard = false;               ///< NetHack's debug mode (-D; root or a sysconf WIZARD only): for tests
  long clock = 1600000000;           ///< what time() returns in seeded games (moon phase, night)
  std::string binary = "/usr/lib/games/nethack/nethack-console";
  std::string runtime_dir;           ///< "" = $TMPDIR/lantern-nethack (or /tmp/lantern-nethack)
  std::string shim;                  ///< "" = the shim built with Lantern
};

/// Creates `dir` (mode 0700) or checks it: a real directory (not a symbolic link), owned by
/// this user, closed to others (a group- or world-open one is made private). NetHack's
/// playground runs a copy of the game from there, so it must be this user's alone.
core::status private_directory(const std::string& dir);

class nethack_env final : public env {
 public:
  static constexpr const char* name = "nethack";
  static constexpr const char* description = "NetHack 3.6.6 (Debian's nethack-console in a pty, decoded with libvterm)";
  static void add_options(core::schema& s, const std::string& prefix);
  static core::result<std::unique_ptr<env>> create(const core::config_view& cfg);
  static core::result<std::unique_ptr<nethack_env>> make(nethack_options opt);

  ~nethack_env() override;
  const env_spec& spec() const override { return spec_; }
  void reset(uint64_t seed, slot out) override;
  void step(const action& a, slot out) override;
  void prefetch_reset(uint64_t seed) override;

  // For tests, tools and people.
  const status& stats() const { return status_; }
  const terminal& screen() const { return term_; }
  uint64_t status_parse_failures() const { return parse_failures_; }
  const std::string& last_parse_error() const { return last_parse_error_; }
  uint64_t restarts() const { return restarts_; }
  const std::string& playground() const { return dir_; }
  /// NetHack's bottom-line score formula over what the screen shows (see docs/nethack.md).
  long visible_score() const;
  /// Kills the game process (for tests of recovery).
  void kill_game() { term_.kill(); }

 private:
  explicit nethack_env(nethack_options opt);
  core::status prepare_playground();
  core::status make_playground(const std::string& root, std::string& dir);
  core::status spawn_game(terminal& t, const std::string& dir, uint64_t seed);
  core::status check_started();
  core::status launch(uint64_t seed);
  core::status check_character();
  void clean_playground() { clean_playground(dir_); }
  static void clean_playground(const std::string& dir);
  // Answers --More-- until the game waits for a command; collects the messages into caption_.
  terminal::wait settle(terminal::wait w);
  bool death_on_screen() const;
  bool prompt_or_menu() const;
  bool oracle_adjacent();
  void read_status();
  void write(slot& out, float reward, bool terminated, bool truncated, bool success);

  nethack_options opt_;
  env_spec spec_;
  std::vector<key_action> actions_;
  terminal term_;
  terminal standby_;                 ///< the next episode's game, when prespawn is on
  std::string dir_, standby_dir_, binary_copy_, shim_;
  uint64_t standby_seed_ = 0;
  bool standby_live_ = false;
  uint64_t seed_ = 0;
  status status_;
  std::string caption_;
  int steps_ = 0;
  long gold0_ = 0, max_exp_ = 0;
  int deepest_ = 1;
  long last_score_ = 0, last_gold_ = 0;
  uint64_t parse_failures_ = 0, restarts_ = 0;
  std::string last_parse_error_;
  bool status_known_ = false;
};

}  // namespace lantern::envs::nethack
