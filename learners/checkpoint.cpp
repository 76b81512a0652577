#include "learners/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>

namespace lantern::learners {

core::status write_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return core::make_error(core::errc::io, "cannot write " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return core::make_error(core::errc::io, "cannot write " + tmp + ": " + why);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return core::make_error(core::errc::io, "cannot sync " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return core::make_error(core::errc::io, "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return {};
}

core::status checkpoint::write(const std::string& path) const {
  std::ostringstream out;
  {
    cereal::PortableBinaryOutputArchive ar(out);
    ar(std::string("lantern-checkpoint-v1"), parts);
  }
  return write_atomically(path, out.str());
}

core::result<checkpoint> checkpoint::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::make_error(core::errc::not_found, "no checkpoint at " + path);
  checkpoint c;
  try {
    cereal::PortableBinaryInputArchive ar(in);
    std::string tag;
    ar(tag);
    if (tag != "lantern-checkpoint-v1") return core::make_error(core::errc::parse, path + " is not a Lantern checkpoint");
    ar(c.parts);
  } catch (const std::exception& e) {
    return core::make_error(core::errc::parse, path + ": damaged checkpoint: " + e.what());
  }
  return c;
}

}  // namespace lantern::learners
