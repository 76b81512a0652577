// The terminal console (see tui.hpp): ncurses over the control API's JSON.
#include "console/tui.hpp"

#include <curses.h>
#include <httplib.h>
#include <langinfo.h>

#include <algorithm>
#include <chrono>
#include <clocale>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lantern::console {
namespace {

using json = nlohmann::json;

class api {
 public:
  api(const std::string& control, std::string token)
      : control_(control), client_("http://" + control), token_(std::move(token)) {
    client_.set_connection_timeout(2, 0);
    client_.set_read_timeout(20, 0);
  }
  // GET or POST; the parsed body, or an error text in `error`.
  json call(const std::string& path, const char* method = "GET", const json& body = json::object()) {
    httplib::Headers h{{"Authorization", "Bearer " + token_}};
    auto res = std::strcmp(method, "POST") == 0 ? client_.Post(path.c_str(), h, body.dump(), "application/json")
                                                : client_.Get(path.c_str(), h);
    if (!res) {
      error = res.error() == httplib::Error::Connection
                  ? "nothing answers at " + control_ + " (is the run going? lantern train prints where its API is)"
                  : "cannot reach the control API at " + control_ + ": " + httplib::to_string(res.error());
      status = 0;
      return json();
    }
    status = res->status;
    json j = json::parse(res->body, nullptr, false);
    if (res->status != 200) {
      error = j.is_object() && j.contains("error") && j["error"].is_string()
                  ? j["error"].get<std::string>()
                  : control_ + " is not a Lantern control API (HTTP " + std::to_string(res->status) + ")";
      return json();
    }
    error.clear();
    return j;
  }
  std::string error;
  int status = 0;
  const std::string control_;

 private:
  httplib::Client client_;
  std::string token_;
};

// A member of an object, or null: the API's answers are read without trusting their shape.
const json& member(const json& j, const char* key) {
  static const json none;
  if (!j.is_object()) return none;
  auto it = j.find(key);
  return it == j.end() ? none : *it;
}

double num(const json& j, const char* key) { return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0; }
std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string grouped(double v) {
  std::string s = std::to_string(static_cast<long long>(std::llround(v)));
  for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A sparkline of the last `width` values, in block characters when the terminal speaks UTF-8.
std::string sparkline(const std::vector<double>& values, size_t width, bool utf8) {
  static const char* blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
  static const char ascii[] = " .:-=+*#";
  if (values.empty()) return "";
  const size_t from = values.size() > width ? values.size() - width : 0;
  double lo = values[from], hi = values[from];
  for (size_t i = from; i < values.size(); ++i) {
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
  }
  std::string out;
  for (size_t i = from; i < values.size(); ++i) {
    const int level = hi > lo ? static_cast<int>(std::lround(7 * (values[i] - lo) / (hi - lo))) : 0;
    if (utf8) out += blocks[level];
    else out += ascii[level];
  }
  return out;
}

// One line of text: control characters (a caption's newlines, a hostile escape sequence) become spaces.
std::string one_line(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return s;
}

void line(int& y, std::string text, int attr = A_NORMAL) {
  if (y >= LINES) return;
  text = one_line(std::move(text));
  attron(attr);
  mvaddnstr(y, 0, text.c_str(), static_cast<int>(std::min<size_t>(text.size(), 4 * static_cast<size_t>(COLS))));
  attroff(attr);
  clrtoeol();
  ++y;
}

// Display columns of UTF-8 text, counting each code point as one column.
size_t columns(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Text padded or cut to `w` columns and a space; a cut never splits a UTF-8 sequence.
std::string cell(std::string s, size_t w) {
  s = one_line(std::move(s));
  if (columns(s) > w) {
    size_t keep = 0, cols = 0;
    while (keep < s.size() && cols < w - 1) {
      ++keep;
      while (keep < s.size() && (static_cast<unsigned char>(s[keep]) & 0xC0) == 0x80) ++keep;
      ++cols;
    }
    s = s.substr(0, keep) + "~";
  }
  return s + std::string(w - columns(s) + 1, ' ');
}

void draw(const json& s, const json& actors, const json& history, const json& captions, const std::string& message,
          bool utf8) {
  int y = 0;
  const json& t = member(s, "training");
  const json& r = member(s, "rewards");
  const json& a = member(s, "annotator");
  const json& run = member(s, "run");
  const json& totals = member(s, "totals");
  const bool paused = num(totals, "runners") > 0 && num(totals, "paused_runners") == num(totals, "runners");
  line(y, "Lantern  " + str(run, "dir") + "  env " + str(run, "env") + "  reward " + str(run, "reward_model") + " (" +
              str(run, "annotator_backend") + ")   [" + (paused ? "paused" : "running") + "]",
       A_BOLD);
  line(y, "steps " + grouped(num(t, "env_steps")) + "  " + grouped(num(t, "steps_per_second")) + " steps/s  episodes " +
              grouped(num(t, "episodes")) + "  return " + fixed(num(t, "mean_return"), 3) + "  success " +
              fixed(100 * num(t, "success_rate"), 1) + "%  policy v" + grouped(num(t, "policy_version")) + " lag " +
              fixed(num(t, "policy_lag"), 1) + "  updates " + fixed(num(t, "updates_per_second"), 1) + "/s");
  line(y, "learner: policy loss " + fixed(num(t, "policy_loss"), 4) + "  value loss " + fixed(num(t, "value_loss"), 4) +
              "  entropy " + fixed(num(t, "entropy"), 3) + "  intrinsic mean " + fixed(num(t, "intrinsic_mean"), 3) +
              "  coefficients: intrinsic " + fixed(num(t, "intrinsic_coef"), 3) + ", extrinsic " +
              fixed(num(t, "extrinsic_coef"), 2));
  std::vector<double> ret, sps;
  for (const auto& h : history) {
    ret.push_back(num(h, "mean_return"));
    sps.push_back(num(h, "steps_per_second"));
  }
  const size_t width = static_cast<size_t>(std::max(10, COLS - 30));
  line(y, "return   " + sparkline(ret, width, utf8) + "  " + fixed(ret.empty() ? 0 : ret.back(), 3));
  line(y, "steps/s  " + sparkline(sps, width, utf8) + "  " + grouped(sps.empty() ? 0 : sps.back()));
  line(y, "reward learner: " + str(r, "model") + "  labels " + grouped(num(r, "labels_received")) + "/" +
              grouped(num(r, "labels_requested")) + " (pending " + grouped(num(r, "labels_pending")) + ", given up " +
              grouped(num(r, "labels_given_up")) + ")" +
              (member(r, "trains") != true ? "  (not fitted: no loss)"
                                              : "  accuracy " + fixed(num(r, "accuracy"), 3) + "  loss " + fixed(num(r, "loss"), 4)) +
              "  snapshot v" + grouped(num(r, "snapshot_version")) +
              (member(r, "annotator_known") == false ? "  NO ANNOTATOR" : ""));
  {
    std::vector<double> drift;
    for (const auto& h : history)
      if (member(h, "reward_drift").is_number()) drift.push_back(num(h, "reward_drift"));
    const json& d = member(r, "drift");
    // The words first, the sparkline in what is left of the line.
    const std::string words =
        "drift " + (d.is_number() ? fixed(d.get<double>(), 4) : std::string("-")) + " on " +
        grouped(num(r, "drift_probes")) + " probe captions  guard " + str(t, "guard") + "  intrinsic/episode " +
        fixed(num(t, "intrinsic_return"), 3) +
        (num(r, "members") > 1
             ? "  contested labels " + grouped(num(r, "contested")) + "  disagreement " + fixed(num(r, "disagreement"), 3)
             : "") +
        "  ";
    const int room = COLS - 2 - static_cast<int>(words.size());
    line(y, words + (room >= 10 ? sparkline(drift, static_cast<size_t>(room), utf8) : std::string()));
  }
  if (a.is_object() && !a.empty())
    line(y, "annotator: " + str(a, "backend") + "  queue " + grouped(num(a, "queue_depth")) + "  latency p50 " +
                fixed(1000 * num(a, "latency_p50_seconds"), 1) + " ms p99 " + fixed(1000 * num(a, "latency_p99_seconds"), 1) +
                " ms  store hits " + fixed(100 * num(a, "store_hit_rate"), 0) + "%  errors " + grouped(num(a, "errors")) +
                (member(a, "breaker_open") == true ? "  BREAKER OPEN" : ""));
  else
    line(y, "annotator: none in this run");
  ++y;
  line(y, "NODES", A_BOLD);
  for (const auto& n : member(s, "nodes"))
    line(y, "  " + cell(str(n, "name"), 16) + cell(str(n, "roles"), 24) + "runners " + cell(grouped(num(n, "runners")), 4) +
                grouped(num(n, "steps_per_second")) + " steps/s" + (member(n, "connected") == false ? "  LOST" : ""));
  ++y;
  line(y, "ACTORS", A_BOLD);
  line(y, "  " + cell("actor", 16) + cell("kind", 15) + cell("node", 10) + cell("state", 26) + cell("mailbox", 8) +
              cell("steps/s", 9) + cell("in flight", 10) + "restarts");
  for (const auto& x : actors)
    line(y, "  " + cell(str(x, "name"), 16) + cell(str(x, "kind"), 15) + cell(str(x, "node"), 10) + cell(str(x, "state"), 26) +
                cell(grouped(num(x, "mailbox")), 8) + cell(grouped(num(x, "steps_per_second")), 9) +
                cell(grouped(num(x, "rollouts_in_flight")), 10) + grouped(num(x, "restarts")));
  ++y;
  line(y, "RECENT LABELS", A_BOLD);
  for (const auto& c : captions) {
    if (y >= LINES - 3) break;
    line(y, "  " + cell(str(c, "label"), 9) + cell("\"" + str(c, "caption") + "\"", static_cast<size_t>(std::max(20, COLS - 45))) +
                str(c, "backend") + " " + str(c, "model"));
  }
  while (y < LINES - 2) line(y, "");
  y = LINES - 2;
  line(y, "keys: p pause  r resume  c checkpoint  i set the intrinsic coefficient  q quit", A_REVERSE);
  line(y, message);
  refresh();
}

std::string ask(const std::string& prompt) {
  mvaddstr(LINES - 1, 0, prompt.c_str());
  clrtoeol();
  echo();
  nodelay(stdscr, FALSE);
  char buf[64] = {0};
  getnstr(buf, sizeof buf - 1);
  noecho();
  nodelay(stdscr, TRUE);
  return buf;
}

}  // namespace

int run_tui(const tui_options& o) {
  api client(o.control, o.token);
  json s = client.call("/api/status");
  if (client.status == 401) {
    std::fprintf(stderr, "lantern console: the control API at %s refused the token\n", o.control.c_str());
    return 1;
  }
  std::setlocale(LC_ALL, "");
  const bool utf8 = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  initscr();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  curs_set(0);
  std::string message = "connected to " + o.control;
  json actors = json::array(), history = json::array(), captions = json::array();
  auto last = std::chrono::steady_clock::now() - std::chrono::hours(1);
  for (;;) {
    const int key = getch();
    if (key == 'q' || key == 'Q') break;
    json r;
    if (key == 'p') {
      r = client.call("/api/pause", "POST");
      message = client.error.empty() ? "paused " + grouped(num(r, "runners_told")) + " runner(s)" : client.error;
      last = {};
    } else if (key == 'r') {
      r = client.call("/api/resume", "POST");
      message = client.error.empty() ? "resumed " + grouped(num(r, "runners_told")) + " runner(s)" : client.error;
      last = {};
    } else if (key == 'c') {
      message = "writing a checkpoint...";
      draw(s, actors, history, captions, message, utf8);
      client.call("/api/checkpoint", "POST");
      message = client.error.empty() ? "checkpoint written" : client.error;
    } else if (key == 'i') {
      const std::string v = ask("intrinsic coefficient (empty: keep it): ");
      if (v.empty()) {
        message = "the intrinsic coefficient is unchanged";
      } else {
        r = client.call("/api/set", "POST", json{{"key", "shaping.intrinsic_coef"}, {"value", v}});
        message = client.error.empty() ? "shaping.intrinsic_coef = " + v : client.error;
      }
      last = {};
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last >= std::chrono::duration<double>(o.refresh_seconds)) {
      last = now;
      json next = client.call("/api/status");
      if (client.error.empty()) {
        s = next;
        actors = client.call("/api/actors");
        history = client.call("/api/history");
        captions = client.call("/api/captions?n=20");
      } else {
        message = client.error;
      }
      if (s.is_object() && s.contains("training")) draw(s, actors, history, captions, message, utf8);
      else {
        erase();
        mvaddstr(0, 0, ("Lantern console: " + message).c_str());
        refresh();
      }
    }
    napms(50);
  }
  endwin();
  return 0;
}

}  // namespace lantern::console
