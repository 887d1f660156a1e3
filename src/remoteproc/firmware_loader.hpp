// request_firmware(): firmware files looked up by name in a search path (Linux: /lib/firmware).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "remoteproc/rproc.hpp"

namespace rproctee::remoteproc {

class FirmwareLoader {
 public:
  explicit FirmwareLoader(std::vector<std::string> search_path) : path_(std::move(search_path)) {}
  /// 0, or -ENOENT (not found in any folder), -EINVAL (a name that escapes the folders, or not
  /// a regular file), -EFBIG (over `max_size` bytes); `why` says which, for the log.
  int request(const std::string& name, Firmware& out, uint64_t max_size = UINT64_MAX,
              std::string* why = nullptr) const;
  const std::vector<std::string>& search_path() const { return path_; }

 private:
  std::vector<std::string> path_;
};

}  // namespace rproctee::remoteproc
