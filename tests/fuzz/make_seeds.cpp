// Writes the seed corpora of the fuzz targets: valid inputs made by Lantern's own encoders.
//   build-fuzz/bin/fuzz_make_seeds tests/fuzz/corpus
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "annotators/wire.hpp"
#include "core/curve.hpp"

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
