// `rproctee run`: the main job. Starts the machine (secure world + simulated SoC) as a child
// process and the normal world here, hands the signed image to the remoteproc core (the TA
// authenticates and loads it), starts the core, follows the trace buffer, talks to the firmware
// over its "rpmsg-tty" channel, stops it cleanly and prints a summary with timings.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/bundled_firmware.hpp"
#include "cli/command.hpp"
#include "cli/console_follower.hpp"
#include "cli/machine_options.hpp"
#include "cli/machine_process.hpp"
#include "cli/render.hpp"
#include "cli/sys_error_print.hpp"
#include "cli/trace_follower.hpp"
#include "common/printable.hpp"
#include "remoteproc/platform_driver.hpp"
#include "rpmsg/bus.hpp"
#include "rpmsg/channel.hpp"
#include "rpmsg/rpmsg_device.hpp"

namespace rproctee::cli {

namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return Ms(b - a).count();
}

/// A message from the firmware as printed: without its line ending, and its bytes shown so
/// that none acts on the terminal.
std::string text_of(std::span<const uint8_t> bytes) {
  std::string s(bytes.begin(), bytes.end());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return escape_nonprintable(s);
}

struct RunArgs {
  MachineArgs machine;
  std::optional<std::string> image;
  std::vector<std::string> send;
  double timeout_s = 10;
  unsigned processor = 0;
  bool json = false;
};

/// What the summary reports; a step not reached stays empty (null in the JSON).
struct RunReport {
  std::optional<std::string> image, platform, processor, banner;
  std::optional<bool> authenticated;  // TEE-controlled; false: the ELF backend loads it unchecked
  std::optional<double> auth_load_ms, start_ms, boot_to_trace_ms, stop_ms;
  std::optional<double> channel_ms;
  std::optional<std::string> channel;
  std::vector<double> round_trips_ms;
  std::optional<bool> shutdown_acknowledged;
  bool crashed_at_stop = false;      // a crash had left it waiting for its recovery
  std::vector<std::string> console;  // the board's serial console, "m33 UART4: text"
  std::optional<Error> error;        // the first failure
  bool usage = false;                // that failure is a usage error (exit 2)

  /// A failure of the normal world (an errno): recorded as a generic one, its message names
  /// the errno.
  void fail(const std::string& prog, const remoteproc::SysError& e) {
    fail(prog, Error{TeeCode::kGeneric, e.message});
  }
  /// Records the first failure and prints it.
  void fail(const std::string& prog, Error e, bool is_usage = false) {
    if (is_usage)
      usage_error(prog, e.message);
    else
      print_error(prog, e);
    if (!error) {
      error = std::move(e);
      usage = is_usage;
    }
  }
};

/// One message out, its echo back: the round trip in milliseconds, or an error.
remoteproc::SysResult<double> exchange(rpmsg::Channel& channel, const std::string& text,
                                       std::chrono::milliseconds timeout, std::ostream& out) {
  std::vector<uint8_t> payload(text.begin(), text.end());
  const std::string name = escape_nonprintable(channel.name());  // the firmware chose it
  const auto t0 = Clock::now();
  RPROCTEE_CHECK(channel.send(payload));
  auto reply = channel.receive(timeout);
  const auto t1 = Clock::now();
  if (!reply)
    return remoteproc::sys_error(ETIMEDOUT, "no answer to \"{}\" on {} within {} ms",
                                 escape_nonprintable(text), name, timeout.count());
  out << fmt::format("{} > {}\n{} < {}  ({:.3f} ms)\n", name, escape_nonprintable(text), name,
                     text_of(*reply), ms_between(t0, t1));
  return ms_between(t0, t1);
}

/// The firmware's "rpmsg-tty" channel, other than `previous` (a channel closed by a crash).
std::shared_ptr<rpmsg::Channel> tty_channel(rpmsg::Bus& bus, remoteproc::Rproc& rproc,
                                            const std::shared_ptr<rpmsg::Channel>& previous,
                                            std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto device = bus.wait_device(rproc, left);
    auto channel = device ? device->wait_channel("rpmsg-tty", left) : nullptr;
    if (channel && channel != previous && !channel->closed()) return channel;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return nullptr;
}

/// Lines typed on the terminal go to the firmware; what it answers is printed.
void console(rpmsg::Channel& channel, std::chrono::milliseconds timeout, RunReport& report) {
  std::cerr << fmt::format("type a line to send it on {}; Ctrl-D stops the processor\n",
                           escape_nonprintable(channel.name()));
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    auto rtt = exchange(channel, line, timeout, std::cout);
    if (!rtt) {
      std::cerr << "rproctee run: " << rtt.error().message << "\n";
      if (channel.closed()) return;
      continue;
    }
    report.round_trips_ms.push_back(*rtt);
    while (auto more = channel.receive(std::chrono::milliseconds(20)))
      std::cout << fmt::format("{} < {}\n", escape_nonprintable(channel.name()), text_of(*more));
  }
}

/// Schema 1 (README.md): the same keys on success and failure, null where not reached.
nlohmann::json summary_json(const RunReport& r) {
  using nlohmann::json;
  json error = nullptr;
  if (r.error) error = error_json(*r.error);
  return {{"schema", kJsonSchema},
          {"ok", !r.error.has_value()},
          {"error", error},
          {"image", or_null(r.image)},
          {"platform", or_null(r.platform)},
          {"processor", or_null(r.processor)},
          {"banner", or_null(r.banner)},
          {"authenticated", or_null(r.authenticated)},
          {"authenticate_and_load_ms", or_null(r.auth_load_ms)},
          {"start_ms", or_null(r.start_ms)},
          {"boot_to_first_trace_ms", or_null(r.boot_to_trace_ms)},
          {"channel", or_null(r.channel)},
          {"channel_announced_ms", or_null(r.channel_ms)},
          {"round_trips_ms", r.round_trips_ms},
          {"stop_ms", or_null(r.stop_ms)},
          {"shutdown_acknowledged", or_null(r.shutdown_acknowledged)},
          {"crashed_at_stop", r.crashed_at_stop},
          {"console", r.console}};
}

void print_summary(const RunReport& r, bool json) {
  if (json) {
    std::cout << summary_json(r).dump(2) << "\n";
    return;
  }
  if (!r.stop_ms) return;  // it never ran: the error said why
  std::vector<double> rtt = r.round_trips_ms;
  std::sort(rtt.begin(), rtt.end());
  std::cout << fmt::format("summary: {} on {} ({})\n", *r.image, *r.platform, *r.processor);
  std::cout << fmt::format("  {:<20} {:8.3f} ms\n",
                           *r.authenticated ? "authenticate + load" : "parse ELF (unsigned)",
                           *r.auth_load_ms);
  std::cout << fmt::format("  start                {:8.3f} ms\n", *r.start_ms);
  if (r.boot_to_trace_ms)
    std::cout << fmt::format("  START to first trace {:8.3f} ms\n", *r.boot_to_trace_ms);
  if (r.channel_ms)
    std::cout << fmt::format("  {} announced {:8.3f} ms after START\n", *r.channel, *r.channel_ms);
  if (!rtt.empty())
    std::cout << fmt::format(
        "  rpmsg round trip     {:8.3f} ms median, {:.3f} ms max ({} messages)\n",
        rtt[rtt.size() / 2], rtt.back(), rtt.size());
  if (!r.console.empty())
    std::cout << fmt::format("  serial console       {} line(s)\n", r.console.size());
  std::cout << fmt::format("  stop                 {:8.3f} ms ({})\n", *r.stop_ms,
                           r.crashed_at_stop          ? "it had crashed: no shutdown request"
                           : *r.shutdown_acknowledged ? "firmware acknowledged the shutdown"
                                                      : "no acknowledgement");
}

/// The TA's reason for refusing the image, from the kernel log line that carries its code
/// ("... remoteproc remoteproc0: TEE LOAD_FW failed: ... [TEE_ERROR_X 0x...]"): the message
/// without the log prefix and the code. nullopt when the log has none.
std::optional<Error> refusal(const remoteproc::KernelLog& log) {
  const std::string all = log.contents();
  const size_t code_at = all.rfind(" [TEE_ERROR_");
  if (code_at == std::string::npos) return std::nullopt;
  const size_t line_begin = all.rfind('\n', code_at);
  std::string line = all.substr(line_begin == std::string::npos ? 0 : line_begin + 1,
                                code_at - (line_begin == std::string::npos ? 0 : line_begin + 1));
  if (size_t device = line.find("remoteproc remoteproc"); device != std::string::npos)
    if (size_t colon = line.find(": ", device); colon != std::string::npos)
      line = line.substr(colon + 2);
  uint32_t code = static_cast<uint32_t>(TeeCode::kSecurity);
  if (size_t hex = all.find(" 0x", code_at); hex != std::string::npos)
    code = static_cast<uint32_t>(std::strtoul(all.c_str() + hex + 1, nullptr, 16));
  return Error{static_cast<TeeCode>(code), line};
}

/// The firmware's rpmsg-tty channel: each --send text out and its echo back (a crash on the
/// way is recovered and the exchange goes on on the new channel), else the interactive console.
void talk(const RunArgs& args, rpmsg::Bus& bus, remoteproc::Rproc& rproc, Clock::time_point started,
          std::ostream& data, const std::string& prog, RunReport& report) {
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(args.timeout_s * 1000));
  std::shared_ptr<rpmsg::Channel> channel = tty_channel(bus, rproc, nullptr, timeout);
  if (channel) {
    report.channel = channel->name();
    report.channel_ms = ms_between(started, Clock::now());
    std::cerr << fmt::format("{}: channel {} (remote 0x{:x}, local 0x{:x})\n", prog,
                             escape_nonprintable(channel->name()), channel->remote_addr(),
                             channel->local_addr());
    for (const std::string& text : args.send) {
      auto rtt = exchange(*channel, text, timeout, data);
      if (rtt) {
        report.round_trips_ms.push_back(*rtt);
        continue;
      }
      // The firmware crashed (its channel went away with it): the normal world recovers it,
      // and the restarted firmware announces a new channel.
      auto next = channel->closed() ? tty_channel(bus, rproc, channel, timeout) : nullptr;
      if (!next) {
        report.fail(prog, rtt.error());
        break;
      }
      std::cerr << fmt::format(
          "{}: no answer to \"{}\": the firmware crashed (crash #{}), was recovered and "
          "announced {} again\n",
          prog, text, rproc.crash_count(), next->name());
      channel = next;
    }
    if (args.send.empty() && ::isatty(STDIN_FILENO)) console(*channel, timeout, report);
  } else if (!args.send.empty()) {
    report.fail(prog, make_error(TeeCode::kItemNotFound,
                                 "the firmware announced no rpmsg-tty channel within {} ms",
                                 timeout.count()));
  }
}

/// Boots, exchanges and stops, filling `report` as far as it gets (its error says where it
/// stopped).
void run_steps(const RunArgs& args, const std::string& prog, RunReport& report) {
  std::string image_path;
  if (args.image) {
    image_path = *args.image;
  } else {
    auto bundled = bundled_demo(args.machine);
    if (!bundled) return report.fail(prog, bundled.error());
    image_path = *bundled;
  }
  const std::filesystem::path image = std::filesystem::absolute(image_path);
  report.image = image.filename().string();
  if (!std::filesystem::is_regular_file(image))
    return report.fail(prog, make_error(TeeCode::kItemNotFound, "no image file {}", image_path));
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(args.timeout_s * 1000));

  rpmsg::Bus& bus = rpmsg::install();
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  MachineArgs machine_args = args.machine;
  machine_args.console = kConsolePipe;  // the board's console comes back here, printed below
  auto machine = MachineProcess::start(machine_args, none);
  if (!machine) return report.fail(prog, machine.error());

  remoteproc::NormalWorldOptions options;
  options.firmware_path = {image.parent_path().string()};
  // The normal world learns the platform from the machine's normal-world device tree, as
  // Linux does from its bootloader: it never reads the secure configuration.
  auto world = remoteproc::NormalWorld::create(machine->address(), options);
  if (!world) return report.fail(prog, world.error());
  const dt::Layout& layout = (*world)->layout();
  report.platform = layout.model;
  if (args.processor >= layout.processors.size())
    return report.fail(
        prog,
        make_error(TeeCode::kBadParameters, "--processor {}: the platform has {} processor(s)",
                   args.processor, layout.processors.size()),
        true);
  report.processor = layout.processors[args.processor].name;
  report.authenticated = layout.processors[args.processor].mode == dt::ProcessorMode::kTee;
  remoteproc::Rproc& rproc = *(*world)->rproc(args.processor);
  if (int err = rproc.set_firmware(*report.image); err)
    return report.fail(
        prog, make_error(TeeCode::kBadParameters, "cannot use firmware name {}", *report.image));

  std::cerr << fmt::format("{}: booting {} on {} ({})\n", prog, *report.image, *report.platform,
                           *report.processor);
  if (int err = rproc.boot(); err) {
    const auto reason = refusal((*world)->log());
    return report.fail(prog, reason ? make_error(reason->code, "{} did not boot: {}", *report.image,
                                                 reason->message)
                                    : make_error(TeeCode::kGeneric, "{} did not boot: {}",
                                                 *report.image, std::strerror(-err)));
  }
  const remoteproc::Rproc::BootTimes times = rproc.boot_times();
  report.auth_load_ms = ms_between(times.parse_begin, times.parse_end);
  report.start_ms = ms_between(times.start_begin, times.start_end);

  // With --json stdout carries the summary only; the trace, the serial console and the
  // exchange go to stderr.
  std::ostream& data = args.json ? std::cerr : std::cout;
  ConsoleFollower serial(machine->console_fd(), data);
  serial.start();
  TraceFollower trace(rproc, data);
  trace.start();
  if (rproc.traces().empty()) {
    // No trace buffer (ST's firmware has none): its serial console says what it does.
  } else if (auto first = trace.wait_first_line(timeout)) {
    report.boot_to_trace_ms = ms_between(times.start_begin, first->at);
    report.banner = first->text;
  } else {
    std::cerr << fmt::format("{}: the firmware wrote no trace within {} ms\n", prog,
                             timeout.count());
  }

  talk(args, bus, rproc, times.start_begin, data, prog, report);

  const auto stop_begin = Clock::now();
  report.crashed_at_stop = rproc.state() == remoteproc::RprocState::kCrashed;
  const int stopped = rproc.shutdown();
  report.stop_ms = ms_between(stop_begin, Clock::now());
  trace.stop();
  serial.stop();
  for (const auto& line : serial.lines()) report.console.push_back(line.text);
  if (!report.banner && !report.console.empty()) report.banner = report.console.front();
  report.shutdown_acknowledged =
      stopped == 0 && !report.crashed_at_stop &&
      (*world)->log().contents().find("shutdown without ack") == std::string::npos;
  if (stopped != 0)
    report.fail(prog, make_error(TeeCode::kGeneric, "stop failed: {}", std::strerror(-stopped)));
}

int run(const RunArgs& args, const std::string& prog) {
  RunReport report;
  run_steps(args, prog, report);
  print_summary(report, args.json);
  if (!report.error) return kExitOk;
  return report.usage ? kExitUsage : kExitFailure;
}

}  // namespace

int run_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Boot a signed firmware image on the simulated SoC: the machine (secure world) "
      "authenticates and loads it, the core runs it, its trace is printed as it grows, "
      "messages go back and forth over rpmsg, then it stops cleanly. Without IMAGE: the bundled "
      "demo firmware of the platform.",
      prog);
  RunArgs args;
  add_machine_options(app, args.machine);
  app.add_option("image", args.image, "Signed image (default: the bundled demo)")
      ->type_name("IMAGE");
  app.add_option("--send", args.send,
                 "Send TEXT on the rpmsg-tty channel and print the answer; without it "
                 "and with a terminal on stdin, an interactive console")
      ->type_name("TEXT");
  app.add_option("--timeout", args.timeout_s,
                 "Seconds to wait for the trace, the channel and each answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->type_name("S");
  app.add_option("--processor", args.processor, "Which remote processor of the platform")
      ->capture_default_str();
  app.add_flag("--json", args.json, "Print the summary as JSON");
  if (auto code = parse_args(app, std::move(argv))) return *code;
  return run(args, prog);
}

}  // namespace rproctee::cli
