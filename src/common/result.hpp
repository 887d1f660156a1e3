// Result<T>: a value or an Error carrying a GlobalPlatform code and a message that names the
// field and the values involved. The project's only error channel (no exceptions cross APIs).
// The error type is a parameter so that the normal world can carry an errno instead of a TEE
// code (remoteproc/sys_error.hpp), with the same accessors and macros.
#pragma once

#include <fmt/format.h>

#include <string>
#include <utility>
#include <variant>

#include "common/tee_code.hpp"

namespace rproctee {

/// Why an operation failed: the TEE code a TA would return, and a message for humans.
struct Error {
  TeeCode code = TeeCode::kGeneric;
  std::string message;

  /// Prefixes the message with context ("image 2: " + message); keeps the code.
  Error&& context(std::string_view prefix) && {
    message.insert(0, fmt::format("{}: ", prefix));
    return std::move(*this);
  }
};

/// Builds an Error with a fmt-formatted message.
template <typename... Args>
Error make_error(TeeCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Error{code, fmt::format(format, std::forward<Args>(args)...)};
}

/// A value of type T, or an error of type E.
template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(E error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const& { return std::get<1>(v_); }
  E&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, E> v_;
};

/// Success or an error of type E.
template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(E error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const& { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace rproctee

/// Evaluates `expr` (a Result); on error returns the error from the enclosing function.
#define RPROCTEE_CHECK(expr)                               \
  do {                                                     \
    if (auto rproctee_status_ = (expr); !rproctee_status_) \
      return std::move(rproctee_status_).error();          \
  } while (0)

#define RPROCTEE_CONCAT_INNER(a, b) a##b
#define RPROCTEE_CONCAT(a, b) RPROCTEE_CONCAT_INNER(a, b)

/// `RPROCTEE_ASSIGN(auto x, f());` declares x from f()'s value, or returns f()'s error.
#define RPROCTEE_ASSIGN(lhs, expr) \
  RPROCTEE_ASSIGN_IMPL(RPROCTEE_CONCAT(rproctee_result_, __LINE__), lhs, expr)
#define RPROCTEE_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                         \
  if (!tmp) return std::move(tmp).error();   \
  lhs = std::move(tmp).value()
