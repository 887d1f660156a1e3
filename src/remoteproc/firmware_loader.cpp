#include "remoteproc/firmware_loader.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace rproctee::remoteproc {

int FirmwareLoader::request(const std::string& name, Firmware& out) const {
  const std::filesystem::path p(name);
  if (name.empty() || p.is_absolute()) return -EINVAL;
  for (const auto& part : p)
    if (part == "..") return -EINVAL;
  for (const std::string& dir : path_) {
    const auto file = std::filesystem::path(dir) / p;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) continue;
    std::ifstream in(file, std::ios::binary);
    if (!in) continue;
    out.name = name;
    out.data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return 0;
  }
  return -ENOENT;
}

}  // namespace rproctee::remoteproc
