// `rproctee ctl`: the operations of the sysfs tree through a running `rproctee up`'s control
// socket, with the same answers (and errnos) as the mounted files.
#include <cstring>
#include <iostream>

#include "cli/command.hpp"
#include "cli/sys_error_print.hpp"
#include "remoteproc/control_server.hpp"

namespace rproctee::cli {

namespace {

/// Maps "remoteprocN VERB [VALUE]" to a sysfs request.
Result<std::string> to_request(const std::vector<std::string>& words) {
  const auto bad = [&] {
    return make_error(TeeCode::kBadParameters, "unknown ctl request: {}", fmt::join(words, " "));
  };
  if (words.empty()) return bad();
  const std::string& w0 = words[0];
  if (w0 == "shutdown" && words.size() == 1) return std::string("shutdown");
  if (w0 == "dmesg" && words.size() == 1) return std::string("read dmesg");
  if (w0 == "read" && words.size() == 2) return "read " + words[1];
  if (w0 == "ls" && words.size() <= 2)
    return "list " + (words.size() == 2 ? words[1] : std::string());
  if (w0 == "write" && words.size() == 3) return "write " + words[1] + "\n" + words[2];
  if (w0.rfind("remoteproc", 0) != 0 || words.size() < 2) return bad();
  const std::string cls = "sys/class/remoteproc/" + w0 + "/";
  const std::string dbg = "sys/kernel/debug/remoteproc/" + w0 + "/";
  const std::string& verb = words[1];
  if (words.size() == 2) {
    if (verb == "start" || verb == "stop" || verb == "detach")
      return "write " + cls + "state\n" + verb;
    if (verb == "state" || verb == "firmware" || verb == "recovery" || verb == "coredump" ||
        verb == "name")
      return "read " + cls + verb;
    if (verb == "resource_table" || verb == "carveout_memories") return "read " + dbg + verb;
    if (verb == "trace") return "read " + dbg + "trace0";
  } else if (words.size() == 3) {
    if (verb == "firmware" || verb == "recovery" || verb == "coredump")
      return "write " + cls + verb + "\n" + words[2];
    if (verb == "crash") return "write " + dbg + "crash\n" + words[2];
    if (verb == "trace") return "read " + dbg + "trace" + words[2];
  }
  return bad();
}

}  // namespace

int ctl_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Drive the processors of a running `rproctee up` without a mount:\n"
      "  remoteprocN start|stop|detach|state|name|resource_table|carveout_memories\n"
      "  remoteprocN firmware [NAME] | recovery [enabled|disabled|recover]\n"
      "  remoteprocN coredump [disabled|enabled|inline] | crash N | trace [K]\n"
      "  read PATH | write PATH VALUE | ls [PATH] | dmesg | shutdown\n"
      "Answers and errors are those of the mounted sysfs files.",
      prog);
  std::optional<std::string> socket;
  std::vector<std::string> words;
  app.add_option("--socket", socket,
                 "Control socket of `rproctee up` (default: the one `up` uses by default, "
                 "$XDG_RUNTIME_DIR/rproctee-ctl.sock or /tmp/rproctee-UID/ctl.sock)")
      ->type_name("PATH");
  app.add_option("request", words, "The request")->required();
  if (auto code = parse_args(app, std::move(argv))) return *code;
  auto request = to_request(words);
  if (!request) return usage_error(prog, request.error().message);
  if (!socket) {
    auto fallback = remoteproc::default_control_socket();
    if (!fallback) return print_error(prog, fallback.error()), kExitFailure;
    socket = *fallback;
  }
  auto reply = remoteproc::control_request(*socket, *request);
  if (!reply) return print_error(prog, reply.error()), kExitFailure;
  if (reply->first != 0) {
    std::cerr << fmt::format("{}: {}: {}\n", prog, fmt::join(words, " "),
                             std::strerror(reply->first));
    return kExitFailure;
  }
  std::cout << reply->second;
  return kExitOk;
}

}  // namespace rproctee::cli
