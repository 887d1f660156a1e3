// rproctee_docgen OUTDIR: writes what is generated from the commands' option definitions at
// build time: OUTDIR/man1/rproctee.1 and rproctee-COMMAND.1, OUTDIR/completions/rproctee
// (bash) and OUTDIR/completions/_rproctee (zsh).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/command_docs.hpp"
#include "cli/completions.hpp"
#include "cli/man_page.hpp"

namespace {

bool write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: rproctee_docgen OUTDIR\n";
    return 2;
  }
  using namespace rproctee::cli;  // NOLINT(google-build-using-namespace)
  const std::filesystem::path out = argv[1];
  const auto commands = describe_commands();
  bool ok = write(out / "man1" / "rproctee.1", main_man_page(commands, RPROCTEE_VERSION));
  for (const CommandDoc& c : commands)
    ok = ok && write(out / "man1" / fmt::format("rproctee-{}.1", c.name),
                     command_man_page(c, RPROCTEE_VERSION));
  ok = ok && write(out / "completions" / "rproctee", bash_completion(commands));
  ok = ok && write(out / "completions" / "_rproctee", zsh_completion(commands));
  if (!ok) {
    std::cerr << "rproctee_docgen: cannot write under " << out << "\n";
    return 1;
  }
  return 0;
}
