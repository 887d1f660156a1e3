// Shell completion scripts for `rproctee` (and its sign_rproc_fw.py name), generated from each
// command's option definitions (command_docs.hpp): commands, options, and for each value files,
// directories or the accepted words.
#pragma once

#include <string>
#include <vector>

#include "cli/command_docs.hpp"

namespace rproctee::cli {

/// For /usr/share/bash-completion/completions/rproctee (needs no bash-completion helpers).
std::string bash_completion(const std::vector<CommandDoc>& commands);

/// For /usr/share/zsh/vendor-completions/_rproctee (#compdef, _arguments).
std::string zsh_completion(const std::vector<CommandDoc>& commands);

}  // namespace rproctee::cli
