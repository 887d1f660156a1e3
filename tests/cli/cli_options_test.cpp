// Command-line hygiene over every command: each option that may be repeated takes exactly one
// value per occurrence (so `--trust KEY IMAGE` leaves IMAGE to the positional), and --help says
// which ones are repeatable. The commands come from `rproctee --help`, their repeatable options
// from each `--help`, and the parse itself from the command's own option definitions (through
// ScopedAppHook, which parses without running anything).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "cli/command.hpp"
#include "cli/commands.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// The command names `rproctee --help` lists under "Commands:".
std::vector<std::string> listed_commands() {
  const auto help = run_rproctee({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  std::vector<std::string> names;
  bool in_list = false;
  for (const std::string& line : lines_of(help.out)) {
    if (line == "Commands:") {
      in_list = true;
    } else if (in_list && line.rfind("  ", 0) == 0) {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else if (in_list) {
      break;
    }
  }
  return names;
}

/// The options whose --help description says "(repeatable)", by their first long name. A
/// long option line wraps its description onto the next line.
std::set<std::string> repeatable_in_help(const std::string& command) {
  const auto help = run_rproctee({command, "--help"});
  EXPECT_EQ(help.exit_code, 0) << command;
  std::set<std::string> names;
  std::string option;  // the option of the current entry
  for (const std::string& line : lines_of(help.out)) {
    if (line.rfind("  -", 0) == 0) {
      std::istringstream words(line);
      std::string spellings;
      words >> spellings;  // "--plat-tlv,--plat_tlv" or "-v,--verbose"
      const size_t dashes = spellings.find("--");
      option = spellings.substr(dashes, spellings.find(',', dashes) - dashes);
    }
    if (line.find("(repeatable)") != std::string::npos) names.insert(option);
  }
  return names;
}

struct OptionInfo {
  std::string name;  // "--trust"
  std::string type_name;
  int values = 1;  // strings per occurrence
};

struct CommandOptions {
  std::vector<OptionInfo> repeatable;
  bool has_positional = false;
};

/// The command's options as its own definitions declare them.
CommandOptions options_of(const cli::CommandInfo& command) {
  CommandOptions info;
  cli::ScopedAppHook hook([&](CLI::App& app, std::vector<std::string>&) {
    for (const CLI::Option* opt : app.get_options()) {
      if (!opt->nonpositional()) info.has_positional = true;
      if (cli::is_repeatable(*opt))
        info.repeatable.push_back(
            {"--" + opt->get_lnames().front(), opt->get_type_name(), opt->get_type_size_max()});
    }
    return 0;
  });
  command.run({}, std::string(command.name));
  return info;
}

struct Parsed {
  std::vector<std::string> option;      // what the option received
  std::vector<std::string> positional;  // what the positionals received
  std::string error;                    // a parse error, if any
};

/// Parses `args` with the command's definitions, every option made optional so that only the
/// assignment of words to options is under test.
Parsed parse(const cli::CommandInfo& command, const std::string& option,
             const std::vector<std::string>& args) {
  Parsed out;
  cli::ScopedAppHook hook([&](CLI::App& app, std::vector<std::string>& given) {
    for (CLI::Option* opt : app.get_options()) opt->required(false);
    std::vector<std::string> reversed(given.rbegin(), given.rend());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      out.error = e.what();
    }
    out.option = app.get_option(option)->results();
    for (const CLI::Option* opt : app.get_options())
      if (!opt->nonpositional())
        out.positional.insert(out.positional.end(), opt->results().begin(), opt->results().end());
    return 0;
  });
  command.run(args, std::string(command.name));
  return out;
}

/// A value each option's checks accept.
std::vector<std::string> sample_value(const OptionInfo& o, int n) {
  if (o.values == 2) return {fmt::format("{:#x}", 0x10010 + n), "0x1"};  // --plat-tlv ID VALUE
  if (o.type_name.rfind("DIR", 0) == 0) return {(vectors_dir() / (n ? "keys" : "elf")).string()};
  if (o.type_name.rfind("TEXT", 0) == 0) return {n ? "second" : "first"};
  return {(vectors_dir() / (n ? "keys/p256.pub.pem" : "keys/rsa2048.pub.pem")).string()};
}

TEST(CliOptions, HelpMarksExactlyTheRepeatableOptionsOfEveryCommand) {
  const auto listed = listed_commands();
  ASSERT_EQ(listed.size(), cli::commands().size());
  size_t total = 0;
  for (const std::string& name : listed) {
    const cli::CommandInfo* command = cli::find_command(name);
    ASSERT_NE(command, nullptr) << name;
    std::set<std::string> declared;
    for (const auto& o : options_of(*command).repeatable) declared.insert(o.name);
    EXPECT_EQ(repeatable_in_help(name), declared) << name;
    total += declared.size();
  }
  // sign/digest --in --plat-tlv, verify --key, run/machine/up --trust, run --send,
  // up --firmware-path.
  EXPECT_GE(total, 10u);
}

TEST(CliOptions, EveryRepeatableOptionTakesOneValuePerOccurrence) {
  const std::string positional = (vectors_dir() / "elf" / "tfm.elf").string();
  for (const cli::CommandInfo& command : cli::commands()) {
    const CommandOptions info = options_of(command);
    for (const OptionInfo& o : info.repeatable) {
      SCOPED_TRACE(fmt::format("rproctee {} {}", command.name, o.name));
      // --opt VALUE POSITIONAL: the word after the value is never the option's.
      std::vector<std::string> args = {o.name};
      const auto first = sample_value(o, 0);
      args.insert(args.end(), first.begin(), first.end());
      args.push_back(positional);
      Parsed p = parse(command, o.name, args);
      EXPECT_EQ(p.option, first);
      if (info.has_positional) {
        EXPECT_EQ(p.error, "");
        EXPECT_EQ(p.positional, std::vector<std::string>{positional});
      } else {
        EXPECT_EQ(p.error, "The following argument was not expected: " + positional);
      }
      // Repeated, each occurrence adds its value.
      const auto second = sample_value(o, 1);
      args = {o.name};
      args.insert(args.end(), first.begin(), first.end());
      args.push_back(o.name);
      args.insert(args.end(), second.begin(), second.end());
      p = parse(command, o.name, args);
      EXPECT_EQ(p.error, "");
      auto both = first;
      both.insert(both.end(), second.begin(), second.end());
      EXPECT_EQ(p.option, both);
    }
  }
}

// The binary itself: a repeatable option before the positional image.
TEST(CliOptions, VerifyTakesTheImageAfterARepeatedKey) {
  const std::string image = (vectors_dir() / "signed" / "rsa2048_single.sign").string();
  const auto r = run_rproctee({"verify", "--key", (vectors_dir() / "keys/p256.pub.pem").string(),
                               "--key", (vectors_dir() / "keys/rsa2048.pub.pem").string(), image});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("AUTHENTIC"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace rproctee::test
