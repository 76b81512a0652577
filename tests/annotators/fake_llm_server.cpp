// A stand-alone OpenAI-compatible test server for command-line and crash tests.
//   fake_llm_server PORT_FILE [DELAY_MS] [TEXT]
// Binds a free port on 127.0.0.1, writes it to PORT_FILE, serves until killed.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "fake_llm.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: fake_llm_server PORT_FILE [DELAY_MS] [TEXT]\n";
    return 2;
  }
  const int delay = argc > 2 ? std::stoi(argv[2]) : 0;
  const std::string text = argc > 3 ? argv[3] : "A clear step forward.\nAnswer: yes";
  lantern::annotators::testing::fake_llm llm([&](const nlohmann::json&, int) {
    lantern::annotators::testing::behaviour b;
    b.delay = std::chrono::milliseconds(delay);
    b.text = text;
    return b;
  });
  {
    std::ofstream(std::string(argv[1]) + ".tmp") << llm.port() << "\n";
    std::rename((std::string(argv[1]) + ".tmp").c_str(), argv[1]);
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}
