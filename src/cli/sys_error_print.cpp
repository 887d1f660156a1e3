#include "cli/sys_error_print.hpp"

#include <fmt/format.h>

#include <iostream>

namespace rproctee::cli {

void print_error(std::string_view prog, const remoteproc::SysError& error) {
  std::cerr << fmt::format("{}: error: {}\n", prog, error.message);
}

}  // namespace rproctee::cli
