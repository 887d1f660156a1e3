// The man pages and shell completions the build generates (build/docs, by rproctee_docgen from
// the commands' option definitions): every option `--help` prints is in the command's man page
// and in both completions; man renders the pages without a warning; bash completes commands,
// options, files, directories and choices; the zsh script parses.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/man_page.hpp"
#include "support/machine_child.hpp"  // read_text
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;

const fs::path kDocs = fs::path(RPROCTEE_BUILD_DIR) / "docs";

/// Every option spelling on the --help lines ("-v", "--verbose", "--key_type", ...).
std::set<std::string> help_options(const std::string& command) {
  const auto help = run_rproctee({command, "--help"});
  std::set<std::string> names;
  std::istringstream in(help.out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("  -", 0) != 0) continue;
    std::istringstream words(line);
    std::string spellings;
    words >> spellings;
    std::istringstream parts(spellings);
    for (std::string name; std::getline(parts, name, ',');) names.insert(name);
  }
  return names;
}

TEST(CliDocs, EveryManPageHasEveryOptionOfHelpAndRendersCleanly) {
  const std::string main_page = read_text(kDocs / "man1" / "rproctee.1");
  ASSERT_FALSE(main_page.empty()) << "no " << kDocs / "man1/rproctee.1";
  for (const cli::CommandInfo& command : cli::commands()) {
    const std::string name(command.name);
    const fs::path file = kDocs / "man1" / ("rproctee-" + name + ".1");
    const std::string page = read_text(file);
    ASSERT_FALSE(page.empty()) << file;
    EXPECT_TRUE(fs::is_regular_file(file.string() + ".gz")) << file;
    EXPECT_NE(main_page.find(".BR rproctee\\-" + cli::roff_escape(name) + " (1)"),
              std::string::npos)
        << name;
    EXPECT_NE(page.find(cli::roff_escape(std::string(command.summary))), std::string::npos);
    const auto options = help_options(name);
    EXPECT_GE(options.size(), 2u) << name;
    for (const std::string& option : options)
      EXPECT_NE(page.find("\\fB" + cli::roff_escape(option) + "\\fR"), std::string::npos)
          << name << " " << option;
    // man(1) formats it, and groff has nothing to say about it.
    const auto shown =
        run_command({"/usr/bin/env", "MANWIDTH=80", "man", "--warnings", "-l", file.string()});
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_EQ(shown.err, "") << name;
    EXPECT_NE(shown.out.find("rproctee-" + name + " - "), std::string::npos) << shown.out;
  }
}

TEST(CliDocs, RoffEscapesWhatWouldBeMarkup) {
  EXPECT_EQ(cli::roff_escape("--key"), "\\-\\-key");
  EXPECT_EQ(cli::roff_escape("a\\b"), "a\\eb");
  EXPECT_EQ(cli::roff_escape(".TH x"), "\\&.TH x");
  EXPECT_EQ(cli::roff_escape("'quote"), "\\&'quote");
}

/// What bash completion offers for the command line `words` (the last one being completed).
std::vector<std::string> bash_complete(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& w : words) line += " '" + w + "'";
  const std::string script = "source '" + (kDocs / "completions" / "rproctee").string() +
                             "'; COMP_WORDS=(" + line +
                             "); COMP_CWORD=" + std::to_string(words.size() - 1) +
                             "; _rproctee; printf '%s\\n' \"${COMPREPLY[@]}\"";
  const auto r = run_command({"/bin/bash", "-c", script}, vectors_dir().string());
  std::vector<std::string> out;
  std::istringstream in(r.out);
  for (std::string w; std::getline(in, w);)
    if (!w.empty()) out.push_back(w);
  return out;
}

TEST(CliDocs, BashCompletesCommandsOptionsAndValues) {
  std::vector<std::string> commands;
  for (const auto& c : cli::commands()) commands.emplace_back(c.name);
  auto first = bash_complete({"rproctee", ""});
  for (const std::string& c : commands)
    EXPECT_NE(std::find(first.begin(), first.end(), c), first.end()) << c;
  EXPECT_EQ(bash_complete({"rproctee", "st"}), std::vector<std::string>{"stitch"});
  // Options of the command, every spelling --help shows.
  for (const std::string& c : commands) {
    const auto offered = bash_complete({"rproctee", c, "-"});
    for (const std::string& option : help_options(c))
      EXPECT_NE(std::find(offered.begin(), offered.end(), option), offered.end())
          << c << " " << option;
  }
  // Values: files, directories, choices; nothing for free text.
  EXPECT_EQ(bash_complete({"rproctee", "verify", "--key", "keys/rsa2048.pu"}),
            std::vector<std::string>{"keys/rsa2048.pub.pem"});
  EXPECT_EQ(bash_complete({"rproctee", "up", "--firmware-path", "el"}),
            std::vector<std::string>{"elf"});
  EXPECT_EQ(bash_complete({"rproctee", "sign", "--tlv-order", "s"}),
            std::vector<std::string>{"st"});
  EXPECT_EQ(bash_complete({"rproctee", "machine", "--core", ""}),
            (std::vector<std::string>{"emulated", "held"}));
  EXPECT_TRUE(bash_complete({"rproctee", "sign", "--key_type", ""}).empty());
  EXPECT_EQ(bash_complete({"rproctee", "inspect", "signed/p256_s"}),
            std::vector<std::string>{"signed/p256_single.sign"});
  // As sign_rproc_fw.py, the sign command's options.
  EXPECT_EQ(bash_complete({"sign_rproc_fw.py", "--ou"}), std::vector<std::string>{"--out"});
}

/// `option` as an _arguments spec names it: '--key[...' or {-v,--verbose}'[...'.
bool in_a_spec(const std::string& text, const std::string& option) {
  for (const char* before : {"'", "*", ")", "{", ","})
    for (const char* after : {"[", ",", "}"})
      if (text.find(before + option + after) != std::string::npos) return true;
  return false;
}

TEST(CliDocs, ZshCompletionParsesAndHasEveryOption) {
  const fs::path script = kDocs / "completions" / "_rproctee";
  const std::string text = read_text(script);
  ASSERT_EQ(text.rfind("#compdef rproctee sign_rproc_fw.py\n", 0), 0u) << text.substr(0, 80);
  for (const cli::CommandInfo& command : cli::commands()) {
    const std::string name(command.name);
    EXPECT_NE(text.find("_rproctee_" + name + "() {"), std::string::npos) << name;
    for (const std::string& option : help_options(name))
      EXPECT_TRUE(in_a_spec(text, option)) << name << " " << option;
  }
  if (!fs::exists("/usr/bin/zsh")) GTEST_SKIP() << "zsh is not installed";
  const auto parsed = run_command({"/usr/bin/zsh", "-n", script.string()});
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
}

}  // namespace
}  // namespace rproctee::test
