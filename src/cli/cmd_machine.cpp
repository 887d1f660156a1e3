// `rproctee machine`: the secure world and the simulated SoC as a process, serving TEE clients
// on a Unix socket until SIGINT/SIGTERM.
#include <sys/prctl.h>

#include <csignal>
#include <iostream>

#include "cli/board_console.hpp"
#include "cli/command.hpp"
#include "cli/machine_options.hpp"
#include "common/fault_injection.hpp"
#include "machine/machine.hpp"
#include "machine/socket_server.hpp"

namespace rproctee::cli {

namespace {
machine::SocketServer* g_server = nullptr;
extern "C" void on_signal(int) {
  if (g_server) g_server->request_stop();
}
}  // namespace

int machine_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Run the secure world (TEE core, remoteproc TA, platform service) and the simulated "
      "SoC as a process; TEE clients connect to --socket (SOCK_SEQPACKET).",
      prog);
  MachineArgs args;
  std::string socket;
  add_machine_options(app, args);
  app.add_option("--socket", socket, "Unix socket to listen on")->required()->type_name("PATH");
  app.add_option("--console", args.console,
                 "The board's serial console (what the firmware writes to its USART): log "
                 "(lines on stderr), fd:N (lines on descriptor N) or pty:PATH (a pseudo-terminal "
                 "linked at PATH, which also takes input)")
      ->capture_default_str()
      ->type_name("MODE");
  if (auto code = parse_args(app, std::move(argv))) return *code;
  if (!arm_fault_from_environment())
    return usage_error(prog, "RPROCTEE_FAULT must be KIND:INDEX or KIND:INDEX:kill");

  // The machine holds the secure world's keys: no core dump of it, no ptrace by another
  // process of the same user, unless asked for debugging.
  if (!args.debug) ::prctl(PR_SET_DUMPABLE, 0);
  auto loaded = load_machine_description(args, prog);
  if (!loaded) return print_error(prog, loaded.error()), kExitFailure;
  auto console = BoardConsole::open(args.console, prog);
  if (!console) return print_error(prog, console.error()), kExitFailure;
  machine::MachineOptions options{std::move(*loaded), args.state_dir};
  if (args.client_limits) {
    auto limits = machine::parse_client_limits(*args.client_limits);
    if (!limits) return usage_error(prog, limits.error().message);
    options.limits = *limits;
  }
  options.emulate_cores = args.core == "emulated";
  options.unmodelled =
      args.unmodelled == "ignore" ? soc::UnmodelledPolicy::kIgnore : soc::UnmodelledPolicy::kFault;
  options.outputs = (*console)->outputs();
  options.on_crash = [&prog](const std::string& processor, const soc::CrashReport& crash) {
    std::cerr << fmt::format("{}: {} crashed: {}\n", prog, processor, crash.text);
  };
  auto created = machine::Machine::create(std::move(options));
  if (!created) return print_error(prog, created.error()), kExitFailure;
  machine::Machine& board = **created;
  (*console)->start_input(
      [&board](std::span<const uint8_t> bytes) { board.soc().serial_input(bytes); });
  auto server = machine::SocketServer::listen(**created, socket);
  if (!server) return print_error(prog, server.error()), kExitFailure;

  // The handlers are in place before "listening" is announced: a supervisor may send SIGTERM
  // as soon as it reads that line and must get an orderly stop (socket file removed).
  g_server = server->get();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  size_t tee_processors = 0;
  const platform::Description& description = (*created)->description();
  for (const auto& p : description.layout.processors)
    tee_processors += p.mode == dt::ProcessorMode::kTee;
  std::cerr << fmt::format(
      "{}: {} ({} remote processor(s), {} TEE-controlled, {} trusted key(s)); "
      "listening on {}\n",
      prog, description.layout.model, description.layout.processors.size(), tee_processors,
      description.secure.keys.size(), socket);
  (*server)->run();
  (*server)->stop();
  (*console)->stop_input();  // before the SoC it types into goes away
  g_server = nullptr;
  std::cerr << fmt::format("{}: stopped\n", prog);
  return kExitOk;
}

}  // namespace rproctee::cli
