// envs/textworld/textworld_env.hpp: TextWorld-style games as a Lantern env. Each episode plays a
// game generated from the episode seed (or drawn from a fixed pool of games); the agent picks
// one of this step's admissible commands, or types free text. The caption is the feedback
// line ("You unlock the wooden door.", "The wooden door is locked.").
//
//   core::schema s;  textworld_env::add_options(s, "env.textworld");
//   auto cfg = core::config::load(s, "", {"env.textworld.family=cooking"});
//   auto env = textworld_env::create(core::config_view(*cfg, "env.textworld"));
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "envs/env.hpp"
#include "envs/textworld/engine.hpp"
#include "envs/textworld/generator.hpp"
#include "envs/textworld/tracker.hpp"

namespace lantern::envs::textworld {

/// How the env rewards the agent.
enum class reward_mode {
  sparse,  ///< +1 on the step that wins, 0 otherwise
  score,   ///< the change of the game's score (one point per sub-goal, TextWorld's scoring)
  dense    ///< TextWorld's intermediate reward: +1 win, -1 loss, else sign of plan-length change
};

class textworld_env final : public env {
 public:
  static constexpr const char* name = "textworld";
  static constexpr const char* description =
      "TextWorld-style text adventures generated natively (families: custom, coin, cooking)";
  static void add_options(core::schema& s, const std::string& prefix);
  static core::result<std::unique_ptr<env>> create(const core::config_view& cfg);

  textworld_env(options opt, reward_mode mode, int max_steps, int pool_size, uint64_t pool_seed);

  const env_spec& spec() const override { return spec_; }
  void reset(uint64_t seed, slot out) override;
  void step(const action& a, slot out) override;

  // For tests, tools and people: the current game and where it stands.
  const game& current() const { return *game_; }
  const state& now() const { return state_; }
  const std::vector<act>& admissible() const { return admissible_; }
  const std::vector<std::string>& commands() const { return commands_; }
  const engine& rules() const { return *engine_; }
  int score() const { return score_; }
  int max_score() const { return static_cast<int>(game_->score_events.size()); }
  bool won() const { return won_; }
  bool lost() const { return lost_; }
  int plan_length() const { return static_cast<int>(tracker_->plan().size()); }

 private:
  void use_game(std::shared_ptr<const game> g);
  void refresh_admissible();
  void write(slot& out, float reward, bool truncated);

  options opt_;
  reward_mode mode_;
  int max_steps_;
  env_spec spec_;
  std::vector<std::shared_ptr<const game>> pool_;
  std::shared_ptr<const game> game_;
  std::unique_ptr<engine> engine_;
  std::unique_ptr<tracker> tracker_;
  state state_;
  std::vector<act> admissible_;
  std::vector<std::string> commands_;
  std::vector<uint8_t> scored_;
  std::string feedback_;
  std::string text_;
  int score_ = 0;
  int moves_ = 0;
  bool won_ = false;
  bool lost_ = false;
};

/// Parses a reward mode name ("sparse", "score", "dense").
std::optional<reward_mode> parse_reward_mode(const std::string& s);

}  // namespace lantern::envs::textworld
