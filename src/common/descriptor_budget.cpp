#include "common/descriptor_budget.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <system_error>

namespace rproctee {

size_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<size_t>(limit.rlim_cur);
}

size_t open_descriptors() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return 0;
  // One entry is the iterator's own descriptor of the directory.
  const auto n = static_cast<size_t>(std::distance(it, std::filesystem::directory_iterator()));
  return n > 0 ? n - 1 : 0;
}

size_t descriptors_for_clients() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return static_cast<size_t>(-1);
  const size_t used = open_descriptors() + kDescriptorReserve;
  const auto soft = static_cast<size_t>(limit.rlim_cur);
  return soft > used ? soft - used : 1;
}

}  // namespace rproctee
