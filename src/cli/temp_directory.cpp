#include "cli/temp_directory.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace rproctee::cli {

Result<std::unique_ptr<TempDirectory>> TempDirectory::create(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    return make_error(TeeCode::kGeneric, "cannot create a directory {}: {}", pattern,
                      std::strerror(errno));
  return std::unique_ptr<TempDirectory>(new TempDirectory(buf.data()));
}

TempDirectory::~TempDirectory() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace rproctee::cli
