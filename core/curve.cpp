// CURVE keys, key files and the ZAP gate (core/curve.hpp).
#include "core/curve.hpp"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace lantern::core {

namespace {

bool z85_key(const std::string& k) {
  if (k.size() != 40) return false;
  uint8_t raw[32];
  return zmq_z85_decode(raw, k.c_str()) != nullptr;
}

}  // namespace

curve_keys keys_from_token(const std::string& token) {
  const std::string input = "lantern cluster curve key v1\n" + token;
  unsigned char secret[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), secret);
  char secret_z85[41] = {0}, public_z85[41] = {0};
  zmq_z85_encode(secret_z85, secret, 32);
  zmq_curve_public(public_z85, secret_z85);
  return {public_z85, secret_z85};
}

result<curve_keys> make_keys() {
  char public_z85[41] = {0}, secret_z85[41] = {0};
  if (zmq_curve_keypair(public_z85, secret_z85) != 0)
    return make_error(errc::io, "cannot make a CURVE key pair: this libzmq has no CURVE (built without libsodium?)");
  return curve_keys{public_z85, secret_z85};
}

status write_key_file(const std::string& path, const curve_keys& keys) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    return make_error(errc::io, "cannot create " + path +
                                    (errno == EEXIST ? " (it exists; keys are never overwritten)"
                                                     : std::string(": ") + std::strerror(errno)));
  const std::string text = "# Lantern cluster key: every node of the cluster needs this file; keep it secret.\n"
                           "public = \"" + keys.public_key + "\"\nsecret = \"" + keys.secret_key + "\"\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());  // a half-written key would block `lantern keys` (it never overwrites)
    return make_error(errc::io, "cannot write " + path + ": " + std::strerror(err));
  }
  return {};
}

result<curve_keys> parse_key_file(std::string_view text, const std::string& path) {
  if (text.size() > max_key_file_bytes)
    return make_error(errc::config, path + ": " + std::to_string(text.size()) + " bytes; a key file has about 190 (run `lantern keys`)");
  auto trim = [](std::string_view s) {
    const auto a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
    return a == std::string_view::npos ? std::string_view() : s.substr(a, b - a + 1);
  };
  curve_keys k;
  size_t n = 0;
  for (size_t at = 0; at <= text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view line = trim(text.substr(at, end - at));
    at = end + 1;
    ++n;
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return make_error(errc::config, path + ":" + std::to_string(n) + ": not a Lantern key file (run `lantern keys`)");
    const std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    if (key == "public") k.public_key = std::string(value);
    else if (key == "secret") k.secret_key = std::string(value);
    else return make_error(errc::config, path + ":" + std::to_string(n) + ": unknown key '" + std::string(key) + "'");
  }
  if (!z85_key(k.public_key) || !z85_key(k.secret_key))
    return make_error(errc::config, path + ": public and secret must each be 40 Z85 characters (run `lantern keys`)");
  char derived[41] = {0};
  if (zmq_curve_public(derived, k.secret_key.c_str()) != 0 || k.public_key != derived)
    return make_error(errc::config, path + ": the public key does not belong to the secret key");
  return k;
}

result<curve_keys> read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::io, "cannot read the key file " + path + ": " + std::strerror(errno));
  std::string text(max_key_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));  // never more than that: /dev/zero is not a key
  text.resize(static_cast<size_t>(in.gcount()));
  return parse_key_file(text, path);
}

void curve_server(zmq::socket_t& s, const curve_keys& keys) {
  s.set(zmq::sockopt::curve_server, 1);
  s.set(zmq::sockopt::curve_secretkey, keys.secret_key);
}

void curve_client(zmq::socket_t& s, const curve_keys& keys) {
  s.set(zmq::sockopt::curve_serverkey, keys.public_key);
  s.set(zmq::sockopt::curve_publickey, keys.public_key);
  s.set(zmq::sockopt::curve_secretkey, keys.secret_key);
}

zap_gate::zap_gate(zmq::context_t& ctx, const std::string& allowed_public)
    : socket_(ctx, zmq::socket_type::rep), allowed_(32, '\0') {
  zmq_z85_decode(reinterpret_cast<uint8_t*>(allowed_.data()), allowed_public.c_str());
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
}

void zap_gate::answer() {
  // A ZAP request (RFC 27): version, request id, domain, address, identity, mechanism, then the
  // client's public key for CURVE.
  std::vector<zmq::message_t> req;
  zmq::message_t part;
  do {
    if (!socket_.recv(part, zmq::recv_flags::dontwait)) return;
    req.emplace_back(std::move(part));
  } while (req.back().more() && req.size() < 16);
  const bool ok = req.size() >= 7 && req[5].to_string() == "CURVE" && req[6].to_string() == allowed_;
  ok ? ++admitted_ : ++refused_;
  const std::string id = req.size() > 1 ? req[1].to_string() : "";
  socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(id), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(std::string(ok ? "200" : "400")), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(std::string(ok ? "OK" : "not the cluster's key")), zmq::send_flags::sndmore);
  socket_.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
  socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
}

}  // namespace lantern::core
