// Writes the seed corpora of the fuzz targets: valid inputs made by Lantern's own encoders.
//   build-fuzz/bin/fuzz_make_seeds tests/fuzz/corpus
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/protocol.hpp"
#include "annotators/wire.hpp"
#include "cluster/wire.hpp"
#include "core/curve.hpp"
#include "learners/weights_format.hpp"

namespace {

namespace fs = std::filesystem;

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lantern;
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds CORPUS_DIR\n";
    return 2;
  }
  const fs::path root = argv[1];

  {  // annotator wire
    annotators::wire::request r;
    r.type = annotators::wire::msg::annotate;
    r.id = 7;
    r.deadline_ms = 5000;
    r.items = {{annotators::kind::classification, "nethack", "default", "You kill the newt!", ""},
               {annotators::kind::ranking, "textworld", "quest", "You open the chest.", "You go north."}};
    write(root / "annotator_wire", "annotate", annotators::wire::encode_request(r));
    r.type = annotators::wire::msg::ping;
    write(root / "annotator_wire", "ping", annotators::wire::encode_request(r));
    annotators::wire::reply rep;
    rep.type = annotators::wire::msg::annotate_reply;
    rep.id = 7;
    annotators::answer a;
    a.result = annotators::outcome::labelled;
    a.lab.value = 1;
    a.lab.from = {"openai", "m", "nethack-v1", 1.5, false};
    rep.answers = {a, annotators::answer{}};
    write(root / "annotator_wire", "reply", annotators::wire::encode_reply(rep));
  }
  {  // OpenAI replies
    write(root / "openai_reply", "completions",
          R"({"choices": [{"index": 0, "text": "Progress.\nAnswer: yes"}, {"index": 1, "text": "Answer: no"}],
              "usage": {"prompt_tokens": 100, "completion_tokens": 7}})");
    write(root / "openai_reply", "chat",
          R"({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Answer: yes"}}]})");
  }
  {  // external env: a spec, and an obs answer with its frames
    write(root / "external_env", "spec",
          std::string(1, '\0') + R"({"name": "vault", "layout": {"arrays": [{"name": "grid", "dtype": "u8",
              "shape": [3, 4]}], "text": true, "caption": true, "actions": "text"}, "max_episode_steps": 50})");
    write(root / "external_env", "obs",
          std::string(1, '\1') + R"({"type": "obs", "text": "A vault.", "caption": "You open it.", "candidates": ["look",
              "go north"], "reward": 1.0, "terminated": true, "success": true, "score": 1})" + "\n--\n" +
              std::string(12, '\3') + "\n--\n" + std::string(8, '\0'));
  }
  {  // key files: the token-derived key of "fuzz seed" (not a secret), as written and as edited
    const auto k = core::keys_from_token("fuzz seed");
    write(root / "key_file", "made", "# Lantern cluster key: every node of the cluster needs this file; keep it secret.\n"
                                     "public = \"" + k.public_key + "\"\nsecret = \"" + k.secret_key + "\"\n");
    write(root / "key_file", "edited", "# a key file with CRLF and quotes\r\npublic = '" + k.public_key +
                                           "'\r\n\r\n  secret=\"" + k.secret_key + "\"\r\n");
  }
  {  // weights in the flat format: two small tensors, and none
    std::string w;
    const float a[6] = {0.5f, -1.0f, 2.0f, 0.0f, 3.5f, -0.25f}, b[2] = {1.0f, 2.0f};
    learners::begin_weights(w, 2);
    learners::append_weights(w, "core.weight_ih", a, 6);
    learners::append_weights(w, "value.bias", b, 2);
    write(root / "weights", "two", w);
    std::string none;
    learners::begin_weights(none, 0);
    write(root / "weights", "none", none);
  }
  {  // bridge frames, as cluster/bridge.cpp writes them
    caf::actor_system_config cfg;
    actors::add_message_types(cfg);
    cluster::add_node_identity(cfg);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    caf::actor_system sys{cfg};
    auto frame = [&](char kind, auto&&... xs) {
      std::vector<char> b{kind};
      caf::binary_serializer sink{sys, b};
      (void)sink(xs...);
      return std::string(b.begin(), b.end());
    };
    auto node = sys.node();
    std::string hello = frame(cluster::wire::hello, node);
    hello.insert(1, std::string("\x01\x00\x00\x00", 4));
    write(root / "bridge_frame", "hello", hello);
    std::vector<char> welcome{cluster::wire::welcome};
    {
      caf::binary_serializer sink{sys, welcome};
      (void)sink(node);
    }
    cluster::wire::put_u64(welcome, 42);
    write(root / "bridge_frame", "welcome", std::string(welcome.begin(), welcome.end()));
    std::vector<char> monitor{cluster::wire::monitor};
    cluster::wire::put_u64(monitor, 42);
    write(root / "bridge_frame", "monitor", std::string(monitor.begin(), monitor.end()));
    std::vector<char> down{cluster::wire::down};
    cluster::wire::put_u64(down, 42);
    {
      caf::binary_serializer sink{sys, down};
      auto reason = caf::make_error(caf::sec::runtime_error, "refused: wrong cluster token");
      (void)sink(reason);
    }
    write(root / "bridge_frame", "down", std::string(down.begin(), down.end()));
    caf::strong_actor_ptr nobody;
    std::vector<caf::strong_actor_ptr> stages;
    caf::actor_id to = 42;
    auto mid = caf::make_message_id();
    actors::rollout_msg r;
    r.runner = 3;
    r.steps = 2;
    r.num_envs = 1;
    r.action = {1, 0};
    r.done = {0, 1};
    r.text = {"You see a door.", "You open the door.", "A hall."};
    auto m1 = caf::make_message(r);
    write(root / "bridge_frame", "rollout", frame(cluster::wire::msg, nobody, stages, to, mid, m1));
    auto m2 = caf::make_message(actors::control_request{"token", "attach", {"e1", "tcp://127.0.0.1:5555", "", "1", "4"}});
    write(root / "bridge_frame", "control", frame(cluster::wire::msg, nobody, stages, to, mid, m2));
    write(root / "bridge_frame", "ping", std::string(1, cluster::wire::ping));
  }
  {  // configs
    write(root / "config", "train", "[train]\nsteps = 300000\nseed = 3\n[appo]\nlr = 0.001\n[reward]\nmodel = \"retrieval\"\n"
                                    "raw = true\n");
    write(root / "config", "inline", "train = { steps = 5 }\nannotator.store = \"/tmp/x.sqlite\"\n");
  }
  {  // TextWorld commands
    write(root / "textworld_parser", "session", "look\nopen the chest\ntake key from chest\nunlock door with key\n"
                                                "go north\ninventory\nput apple on table\nx lamp");
    write(root / "textworld_parser", "odd", "get it\nlook at the the\nshut\npick up\n");
  }
  std::cout << "seeds written under " << root << "\n";
  return 0;
}
