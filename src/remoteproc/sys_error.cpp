#include "remoteproc/sys_error.hpp"

#include <cstring>

namespace rproctee::remoteproc {

std::string errno_name(int errnum) {
  const char* name = strerrorname_np(errnum);
  return name ? std::string(name) : fmt::format("errno {}", errnum);
}

}  // namespace rproctee::remoteproc
