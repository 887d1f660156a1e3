// `rproctee machine`: the secure world and the simulated SoC as a process, serving TEE clients
// on a Unix socket until SIGINT/SIGTERM: by default /run/rproctee/tee.sock, where
// TEEC_InitializeContext(NULL) looks; or the socket a service manager hands over (systemd socket
// activation: LISTEN_PID/LISTEN_FDS, descriptor 3).
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/board_console.hpp"
#include "cli/command.hpp"
#include "cli/machine_options.hpp"
#include "common/descriptor_budget.hpp"
#include "common/fault_injection.hpp"
#include "common/machine_address.hpp"
#include "machine/machine.hpp"
#include "machine/socket_server.hpp"

namespace rproctee::cli {

namespace {
machine::SocketServer* g_server = nullptr;
extern "C" void on_signal(int) {
  if (g_server) g_server->request_stop();
}

/// The listening socket systemd passed (sd_listen_fds(3)): descriptor 3 when LISTEN_PID is
/// this process and LISTEN_FDS is 1; nullopt when nothing was passed. The variables are
/// removed so that no child takes them for its own.
Result<std::optional<int>> inherited_listener() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (!pid || !fds || std::strtol(pid, nullptr, 10) != ::getpid()) return std::optional<int>();
  const long count = std::strtol(fds, nullptr, 10);
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (count != 1)
    return make_error(TeeCode::kBadParameters,
                      "LISTEN_FDS is {}: the machine serves exactly one socket", fds);
  return std::optional<int>(3);
}

/// Creates the socket's directory when missing (/run/rproctee), as a runtime directory.
Status make_socket_directory(const std::string& socket) {
  const auto dir = std::filesystem::path(socket).parent_path();
  if (dir.empty() || std::filesystem::exists(dir)) return {};
  if (::mkdir(dir.c_str(), 0755) != 0)
    return make_error(TeeCode::kCommunication, "cannot create {} for the socket: {}", dir.string(),
                      std::strerror(errno));
  return {};
}

Result<std::unique_ptr<machine::SocketServer>> serve(machine::Machine& m, const std::string& socket,
                                                     bool socket_given, std::string& where) {
  RPROCTEE_ASSIGN(const auto inherited, inherited_listener());
  if (inherited && !socket_given) {
    where = "the socket passed by the service manager";
    return machine::SocketServer::adopt(m, *inherited);
  }
  RPROCTEE_CHECK(make_socket_directory(socket));
  where = socket;
  return machine::SocketServer::listen(m, socket);
}

}  // namespace

int machine_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Run the secure world (TEE core, remoteproc TA, platform service) and the simulated "
      "SoC as a process; TEE clients connect to --socket (SOCK_SEQPACKET), by default where "
      "TEEC_InitializeContext(NULL) looks.",
      prog);
  MachineArgs args;
  std::string socket = default_machine_socket();
  add_machine_options(app, args);
  auto* socket_option =
      app.add_option("--socket", socket,
                     "Unix socket to listen on (default: $RPROCTEE_TEE's path, else "
                     "/run/rproctee/tee.sock; ignored when systemd passes a socket)")
          ->type_name("PATH");
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
  raise_descriptor_limit();  // connections are then bounded by what it leaves (SocketServer)
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
  options.gdb_port = args.gdb_port;
  options.gdb_wait = args.gdb_wait;
  options.on_crash = [&prog](const std::string& processor, const soc::CrashReport& crash) {
    std::cerr << fmt::format("{}: {} crashed: {}\n", prog, processor, crash.text);
  };
  auto created = machine::Machine::create(std::move(options));
  if (!created) return print_error(prog, created.error()), kExitFailure;
  machine::Machine& board = **created;
  (*console)->start_input(
      [&board](std::span<const uint8_t> bytes) { board.soc().serial_input(bytes); });
  std::string where;
  auto server = serve(**created, socket, socket_option->count() > 0, where);
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
      description.secure.keys.size(), where);
  for (const soc::Soc::GdbEndpoint& e : board.soc().gdb_endpoints())
    std::cerr << fmt::format("{}: gdb server for {} on 127.0.0.1:{}{}\n", prog, e.processor, e.port,
                             args.gdb_wait ? " (each start waits for the debugger)" : "");
  (*server)->run();
  (*server)->stop();
  (*console)->stop_input();  // before the SoC it types into goes away
  g_server = nullptr;
  std::cerr << fmt::format("{}: stopped\n", prog);
  return kExitOk;
}

}  // namespace rproctee::cli
