// Every command's command line as data, read from the same CLI11 definitions that print
// --help (through ScopedAppHook): what the man pages and the shell completions are made of.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace rproctee::cli {

struct OptionDoc {
  /// What a shell should offer for the value.
  enum class Value { kNone, kFile, kDirectory, kChoice, kText };

  std::vector<std::string> names;  // "-v", "--verbose" (empty for a positional)
  std::string positional;          // the positional's name ("image")
  std::string value_name;          // "ELF", "ID VALUE", "" for a flag
  Value value = Value::kNone;
  std::vector<std::string> choices;  // for kChoice
  std::string description;           // without the "(repeatable)" mark
  std::string default_value;
  bool required = false;
  bool repeatable = false;
  bool flag() const { return value == Value::kNone; }
};

struct CommandDoc {
  std::string name;     // "sign"
  std::string summary;  // one line, from the command table
  std::string description;
  std::vector<OptionDoc> options;  // --help first, positionals last
};

/// One option as documented.
OptionDoc describe_option(const CLI::Option& option);

/// Every command of commands(), in order.
std::vector<CommandDoc> describe_commands();

}  // namespace rproctee::cli
