// Man pages (roff, man(7) macros) for `rproctee` and each command, from the command table and
// each command's option definitions (command_docs.hpp): the same text as --help.
#pragma once

#include <string>
#include <vector>

#include "cli/command_docs.hpp"

namespace rproctee::cli {

/// rproctee(1): the commands, exit status, environment, files.
std::string main_man_page(const std::vector<CommandDoc>& commands, const std::string& version);

/// rproctee-NAME(1).
std::string command_man_page(const CommandDoc& command, const std::string& version);

/// Text as roff: backslashes and minus signs escaped, no line starting with a control character.
std::string roff_escape(const std::string& text);

}  // namespace rproctee::cli
