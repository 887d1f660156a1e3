// A private directory under /tmp (mkdtemp), removed with everything in it when the handle goes.
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"

namespace rproctee::cli {

class TempDirectory {
 public:
  /// /tmp/PREFIX-XXXXXX, mode 0700.
  static Result<std::unique_ptr<TempDirectory>> create(const std::string& prefix);
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit TempDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace rproctee::cli
