// The `rproctee` command: dispatches to a sub-command, or acts as `sign` when invoked as
// `sign_rproc_fw.py` (drop-in for build scripts that call the reference signer). The same
// main is `rproctee` (offline commands; the others exec rproctee-full) and `rproctee-full`.
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/commands.hpp"

namespace {

void print_usage(std::ostream& out) {
  out << "rproctee " RPROCTEE_VERSION
         " - signed firmware for TEE-controlled remote processors\n\n"
         "Usage: rproctee COMMAND [OPTIONS]   (rproctee COMMAND --help for details)\n\nCommands:\n";
  for (const auto& c : rproctee::cli::dispatch_table())
    out << fmt::format("  {:<13} {}\n", c.name, c.summary);
  out << "\nExit codes: 0 ok, 1 failure or not authentic, 2 usage error.\n";
}

}  // namespace

namespace {

int dispatch(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string self = std::filesystem::path(argv[0]).filename().string();
  if (self == "sign_rproc_fw.py") return rproctee::cli::sign_main(std::move(args), self);

  if (args.empty()) {
    print_usage(std::cerr);
    return rproctee::cli::kExitUsage;
  }
  const std::string name = args.front();
  if (name == "-h" || name == "--help" || name == "help") {
    print_usage(std::cout);
    return rproctee::cli::kExitOk;
  }
  if (name == "--version") {
    std::cout << "rproctee " RPROCTEE_VERSION "\n";
    return rproctee::cli::kExitOk;
  }
  if (const auto* c = rproctee::cli::find_command(rproctee::cli::dispatch_table(), name)) {
    args.erase(args.begin());
    return c->run(std::move(args), "rproctee " + name);
  }
  std::cerr << fmt::format("rproctee: usage error: unknown command '{}'\n", name);
  print_usage(std::cerr);
  return rproctee::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // Errors are reported as messages with a code, never as a stack trace: anything thrown that
  // no command turned into an Error still ends as one line and exit 1.
  try {
    return dispatch(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("rproctee: error: {}\n", e.what());
  } catch (...) {
    std::cerr << "rproctee: error: unexpected failure\n";
  }
  return rproctee::cli::kExitFailure;
}
