// `lantern console`: the terminal UI of a running training (console/tui.hpp).
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "apps/commands.hpp"
#include "cluster/cluster.hpp"
#include "console/tui.hpp"

namespace lantern::apps {

std::function<int()> add_console(CLI::App& app, const core::schema& s, common_flags& f) {
  struct flags {
    std::string control, run_dir, token_file;
  };
  auto c = std::make_shared<flags>();
  auto* cmd = app.add_subcommand("console", "the terminal console of a running training (its control API)");
  add_common_flags(*cmd, f);
  cmd->add_option("--control", c->control, "HOST:PORT of the control API (control.listen)");
  cmd->add_option("--run-dir", c->run_dir, "a run directory: its control.json says where, its control.token the token");
  cmd->add_option("--token-file", c->token_file, "file holding the token (default: the cluster token)");
  return [&s, &f, c]() -> int {
    auto cfg = load_config(s, f);
    if (!cfg) return 2;
    console::tui_options o;
    o.control = c->control.empty() ? cfg->string("control.listen") : c->control;
    std::string token_file = c->token_file;
    if (!c->run_dir.empty()) {
      std::ifstream in(c->run_dir + "/control.json");
      auto j = nlohmann::json::parse(in, nullptr, false);
      if (!j.is_object() || !j.contains("url") || !j["url"].is_string()) {
        std::cerr << "lantern console: " << c->run_dir << "/control.json is missing or unreadable (is the run going?)\n";
        return 2;
      }
      if (c->control.empty()) o.control = j["url"].get<std::string>().substr(7);  // "http://"
      if (token_file.empty() && j.contains("token_file") && j["token_file"].is_string())
        token_file = j["token_file"].get<std::string>();
    }
    // The URL that lantern train prints works too.
    if (o.control.rfind("http://", 0) == 0) o.control = o.control.substr(7);
    while (!o.control.empty() && o.control.back() == '/') o.control.pop_back();
    if (auto a = cluster::parse_address(o.control); !a || a->port == 0) {
      std::cerr << "lantern console: --control wants HOST:PORT (e.g. 127.0.0.1:7780), got '" << o.control << "'\n";
      return 2;
    }
    if (!token_file.empty()) {
      std::ifstream in(token_file);
      if (!std::getline(in, o.token) || o.token.empty()) {
        std::cerr << "lantern console: cannot read a token from " << token_file << "\n";
        return 2;
      }
    } else if (auto t = cluster::load_token(*cfg)) {
      o.token = t.value();
    } else {
      std::cerr << "lantern console: " << t.error().message << " (or --token-file, or --run-dir)\n";
      return 2;
    }
    return console::run_tui(o);
  };
}

}  // namespace lantern::apps
