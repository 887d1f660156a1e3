#include "cli/commands.hpp"

#include <stdexcept>
#include <utility>

#include "cli/command.hpp"

namespace rproctee::cli {

namespace {

// The entry points of machine_commands(), by name.
constexpr std::pair<std::string_view, int (*)(std::vector<std::string>, std::string)>
    kMachineEntryPoints[] = {
        {"run", run_main}, {"machine", machine_main}, {"up", up_main},
        {"ctl", ctl_main}, {"down", down_main},       {"coredump-open", coredump_open_main},
};

std::vector<CommandInfo> all_commands() {
  std::vector<CommandInfo> all(offline_commands().begin(), offline_commands().end());
  for (CommandInfo c : machine_commands()) {
    for (const auto& [name, run] : kMachineEntryPoints)
      if (name == c.name) c.run = run;
    if (!c.run) throw std::logic_error("no entry point for command " + std::string(c.name));
    all.push_back(c);
  }
  return all;
}

}  // namespace

std::span<const CommandInfo> commands() {
  static const std::vector<CommandInfo> all = all_commands();
  return all;
}

const CommandInfo* find_command(std::string_view name) {
  return find_command(commands(), name);
}

}  // namespace rproctee::cli
