#include "envs/registry.hpp"

#include <algorithm>

namespace lantern::envs {

void env_registry::add(env_entry e) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const env_entry& x) { return x.name == e.name; });
  if (it != entries_.end()) *it = std::move(e);
  else entries_.push_back(std::move(e));
}

void env_registry::add_options(core::schema& s) const {
  for (const auto& e : entries_) e.add_options(s, "env." + e.name);
}

core::result<std::unique_ptr<env>> env_registry::create(const std::string& name, const core::config& cfg) const {
  const env_entry* e = find(name);
  if (!e) {
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    return core::make_error(core::errc::not_found, "unknown environment '" + name + "' (known: " + known + ")");
  }
  return e->create(core::config_view(cfg, "env." + name));
}

const env_entry* env_registry::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<std::string> env_registry::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace lantern::envs
