#include "envs/textworld/textworld_env.hpp"

#include <stdexcept>

#include "core/rng.hpp"

namespace lantern::envs::textworld {

std::optional<reward_mode> parse_reward_mode(const std::string& s) {
  if (s == "sparse") return reward_mode::sparse;
  if (s == "score") return reward_mode::score;
  if (s == "dense") return reward_mode::dense;
  return std::nullopt;
}

void textworld_env::add_options(core::schema& s, const std::string& p) {
  s.string(p + ".family", "custom", "game family: custom (backward-chained quest), coin (coin collector), cooking",
           {"custom", "coin", "cooking"});
  s.integer(p + ".rooms", 5, "rooms per generated world (custom, cooking)", 1, 100);
  s.integer(p + ".objects", 10, "things per world, quest and distractors together (custom, cooking)", 0, 1000);
  s.integer(p + ".quest_length", 3, "custom: causal actions per sub-quest; coin: rooms between start and coin", 1, 100);
  s.integer(p + ".quest_breadth", 1, "custom: independent sub-quests that must all be completed", 1, 5);
  s.real(p + ".door_rate", 0.5, "chance that a corridor which is the only way between two parts has a door", 0.0, 1.0);
  s.boolean(p + ".dead_ends", true, "coin: a dead-end room off each room of the chain");
  s.integer(p + ".recipe", 3, "cooking: ingredients in the recipe", 1, 5);
  s.boolean(p + ".cook", true, "cooking: some ingredients must be cooked on the stove");
  s.boolean(p + ".slice", true, "cooking: some ingredients must be sliced with the knife");
  s.string(p + ".reward", "sparse", "reward: sparse (+1 on a win), score (points per sub-goal), dense (TextWorld's "
           "intermediate reward)", {"sparse", "score", "dense"});
  s.integer(p + ".max_steps", 100, "steps before an episode is truncated", 1, 1000000);
  s.integer(p + ".games", 0, "0: a new game for every episode seed; N: episodes draw from a fixed pool of N games", 0, 100000);
  s.integer(p + ".games_seed", 1, "seed of the fixed pool of games (when games > 0)", 0);
}

core::result<std::unique_ptr<env>> textworld_env::create(const core::config_view& cfg) {
  options o;
  o.family = cfg.string("family");
  o.rooms = static_cast<int>(cfg.integer("rooms"));
  o.objects = static_cast<int>(cfg.integer("objects"));
  o.quest_length = static_cast<int>(cfg.integer("quest_length"));
  o.quest_breadth = static_cast<int>(cfg.integer("quest_breadth"));
  o.door_rate = cfg.real("door_rate");
  o.dead_ends = cfg.boolean("dead_ends");
  o.recipe = static_cast<int>(cfg.integer("recipe"));
  o.cook = cfg.boolean("cook");
  o.slice = cfg.boolean("slice");
  if (auto st = validate(o); !st) {
    // validate() says "knob: why"; name the key and where its value came from.
    const std::string& msg = st.error().message;
    const std::string knob = msg.substr(0, msg.find(':'));
    return core::make_error(core::errc::config, cfg.origin(knob) + ": key '" + cfg.prefix() + "." + knob + "'" +
                                                    msg.substr(knob.size()));
  }
  auto mode = parse_reward_mode(cfg.string("reward"));
  return std::unique_ptr<env>(new textworld_env(o, *mode, static_cast<int>(cfg.integer("max_steps")),
                                                static_cast<int>(cfg.integer("games")),
                                                static_cast<uint64_t>(cfg.integer("games_seed"))));
}

textworld_env::textworld_env(options opt, reward_mode mode, int max_steps, int pool_size, uint64_t pool_seed)
    : opt_(std::move(opt)), mode_(mode), max_steps_(max_steps) {
  spec_.name = name;
  spec_.description = description;
  spec_.layout.has_text = true;
  spec_.layout.has_caption = true;
  spec_.layout.actions = core::action_kind::text;
  spec_.max_episode_steps = max_steps;
  for (int i = 0; i < pool_size; ++i) {
    auto g = generate(opt_, core::derive_seed(pool_seed, static_cast<uint64_t>(i)));
    if (!g) throw std::runtime_error(g.error().message);
    pool_.push_back(std::make_shared<const game>(std::move(g.value())));
  }
}

void textworld_env::use_game(std::shared_ptr<const game> g) {
  game_ = std::move(g);
  engine_ = std::make_unique<engine>(*game_);
  tracker_ = std::make_unique<tracker>(*engine_);
}

void textworld_env::reset(uint64_t seed, slot out) {
  if (!pool_.empty()) {
    use_game(pool_[seed % pool_.size()]);
  } else {
    auto g = generate(opt_, seed);
    if (!g) throw std::runtime_error(g.error().message);  // validated options make this a bug
    use_game(std::make_shared<const game>(std::move(g.value())));
  }
  state_ = game_->initial;
  tracker_->reset(state_, game_->walkthrough);
  scored_.assign(game_->score_events.size(), 0);
  score_ = moves_ = 0;
  won_ = lost_ = false;
  refresh_admissible();
  feedback_ = game_->objective;
  write(out, 0.0f, false);
}

void textworld_env::refresh_admissible() {
  engine_->admissible(state_, admissible_);
  commands_.resize(admissible_.size());
  for (size_t i = 0; i < admissible_.size(); ++i) commands_[i] = engine_->command(admissible_[i]);
}

void textworld_env::step(const action& a, slot out) {
  feedback_.clear();
  ++moves_;
  float reward = 0.0f;
  std::optional<act> chosen;
  if (a.index >= 0) {
    if (static_cast<size_t>(a.index) < admissible_.size()) chosen = admissible_[static_cast<size_t>(a.index)];
    else feedback_ = "That is not one of the commands on offer.";
  } else {
    parsed p = engine_->parse(state_, a.text);
    if (p.ok) chosen = p.a;
    else feedback_ = std::move(p.message);
  }
  if (chosen && !won_ && !lost_) {
    failure f = engine_->check(state_, *chosen);
    const bool changes = f == failure::none && !engine::is_observation(chosen->v);
    if (f == failure::none) engine_->apply(state_, *chosen);
    engine_->feedback(state_, *chosen, f, feedback_);
    if (changes) {
      int progress = tracker_->update(*chosen, state_);
      int gained = 0;
      for (size_t i = 0; i < scored_.size(); ++i) {
        if (!scored_[i] && engine_->holds(state_, game_->score_events[i])) {
          scored_[i] = 1;
          ++gained;
        }
      }
      score_ += gained;
      won_ = engine_->won(state_);
      lost_ = !won_ && tracker_->lost();
      switch (mode_) {
        case reward_mode::sparse: reward = won_ ? 1.0f : 0.0f; break;
        case reward_mode::score: reward = static_cast<float>(gained); break;
        case reward_mode::dense: reward = won_ ? 1.0f : lost_ ? -1.0f : static_cast<float>(progress); break;
      }
      refresh_admissible();
    }
  }
  write(out, reward, !won_ && !lost_ && moves_ >= max_steps_);
}

void textworld_env::write(slot& out, float reward, bool truncated) {
  out.caption() = feedback_;
  std::string& text = out.text();
  text = feedback_;
  if (won_) text += "\n*** You won! ***";
  if (lost_) text += "\n*** You lost! ***";
  text += "\n\n";
  engine_->describe_room(state_, text);
  out.candidates() = commands_;
  out.outcome(reward, won_ || lost_, truncated, won_, static_cast<float>(score_));
}

}  // namespace lantern::envs::textworld
