// Errors of the normal world as Linux reports them: an errno and a message naming the values.
// A TEE code stays only where a TEE call returned it (the TEE backend logs it and answers
// -EIO, as remoteproc_tee does); everything the normal world decides itself is an errno.
//
//   SysStatus send(...) { if (closed) return sys_error(ENODEV, "channel {} is closed", name); }
//   -> message "ENODEV: channel rpmsg-tty is closed", code() == -ENODEV
#pragma once

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <utility>

#include "common/result.hpp"

namespace rproctee::remoteproc {

struct SysError {
  int errnum = 0;       // positive errno (ENODEV)
  std::string message;  // starts with the errno's name ("ENODEV: ...")

  /// The kernel's return value: -errno.
  int code() const { return -errnum; }
};

/// "ENODEV", or the number when the C library has no name for it.
std::string errno_name(int errnum);

/// A SysError whose message is "<ERRNO NAME>: " followed by the formatted text.
template <typename... Args>
SysError sys_error(int errnum, fmt::format_string<Args...> format, Args&&... args) {
  return SysError{errnum, fmt::format("{}: {}", errno_name(errnum),
                                      fmt::format(format, std::forward<Args>(args)...))};
}

template <typename T>
using SysResult = Result<T, SysError>;
using SysStatus = Result<void, SysError>;

}  // namespace rproctee::remoteproc
