// `rproctee machine`: the secure world and the simulated SoC as a process, serving TEE clients
// on a Unix socket until SIGINT/SIGTERM.
#include <csignal>
#include <iostream>

#include "cli/command.hpp"
#include "cli/machine_options.hpp"
#include "common/fault_injection.hpp"
#include "tee/machine.hpp"
#include "tee/socket_server.hpp"

namespace rproctee::cli {

namespace {
tee::SocketServer* g_server = nullptr;
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
  if (auto code = parse_args(app, std::move(argv))) return *code;
  if (!arm_fault_from_environment())
    return usage_error(prog, "RPROCTEE_FAULT must be KIND:INDEX or KIND:INDEX:kill");

  auto description = load_machine_description(args, prog);
  if (!description) return print_error(prog, description.error()), kExitFailure;
  tee::MachineOptions options{*description, args.state_dir};
  options.emulate_cores = args.core == "emulated";
  options.on_crash = [&prog](const std::string& processor, const soc::CrashReport& crash) {
    std::cerr << fmt::format("{}: {} crashed: {}\n", prog, processor, crash.text);
  };
  auto machine = tee::Machine::create(std::move(options));
  if (!machine) return print_error(prog, machine.error()), kExitFailure;
  auto server = tee::SocketServer::listen(**machine, socket);
  if (!server) return print_error(prog, server.error()), kExitFailure;

  // The handlers are in place before "listening" is announced: a supervisor may send SIGTERM
  // as soon as it reads that line and must get an orderly stop (socket file removed).
  g_server = server->get();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  size_t tee_processors = 0;
  for (const auto& p : (*machine)->description().processors)
    tee_processors += p.mode == platform::ProcessorMode::kTee;
  std::cerr << fmt::format(
      "{}: {} ({} remote processor(s), {} TEE-controlled, {} trusted key(s)); "
      "listening on {}\n",
      prog, (*machine)->description().model, (*machine)->description().processors.size(),
      tee_processors, (*machine)->description().keys.size(), socket);
  (*server)->run();
  (*server)->stop();
  g_server = nullptr;
  std::cerr << fmt::format("{}: stopped\n", prog);
  return kExitOk;
}

}  // namespace rproctee::cli
