// core/error.hpp: failures as values. A function that can fail returns result<T>; the caller
// reads value() after checking ok(), or passes the error up with its context.
//
//   core::result<int> parse_port(std::string_view s);
//   auto port = parse_port("77x");
//   if (!port) std::cerr << port.error().message << "\n";   // "bad port '77x'"
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lantern::core {

/// What kind of failure; the message carries the specifics (key, file, value).
enum class errc {
  invalid_argument,  ///< a caller passed something malformed
  config,            ///< a config file or override is wrong (message names key and file)
  io,                ///< a file or socket could not be read or written
  not_found,         ///< a named thing (env, key, file) does not exist
  parse,             ///< input text could not be parsed
  timeout,           ///< a deadline passed
  refused,           ///< a peer refused this process (not the cluster's key, a wrong token)
  internal,          ///< an invariant was broken: a bug in Lantern
};

/// Short name of an error code, for messages and logs.
const char* to_string(errc code) noexcept;

/// A failure: what kind, and a message a person can act on.
struct error_info {
  errc code = errc::internal;
  std::string message;
};

/// Builds an error.
inline error_info make_error(errc code, std::string message) { return error_info{code, std::move(message)}; }

/// Either a T or an error.
template <class T>
class result {
 public:
  result(T value) : data_(std::move(value)) {}        // NOLINT: implicit by design
  result(error_info err) : data_(std::move(err)) {}        // NOLINT: implicit by design

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error_info& error() const { return std::get<1>(data_); }

 private:
  std::variant<T, error_info> data_;
};

/// A result with no value: success or an error.
class status {
 public:
  status() = default;
  status(error_info err) : err_(std::move(err)), ok_(false) {}  // NOLINT: implicit by design
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const error_info& error() const { return err_; }

 private:
  error_info err_;
  bool ok_ = true;
};

}  // namespace lantern::core
