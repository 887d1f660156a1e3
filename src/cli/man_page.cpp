#include "cli/man_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace rproctee::cli {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

/// A paragraph per line of `text` (CLI11 descriptions use newlines for lists).
std::string paragraphs(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  bool first = true;
  for (std::string line; std::getline(in, line);) {
    if (!first) out += ".br\n";
    out += roff_escape(line) + "\n";
    first = false;
  }
  return out;
}

std::string header(const std::string& name, const std::string& version) {
  return fmt::format(".TH {} 1 \"\" \"rproctee {}\" \"User Commands\"\n", upper(name), version);
}

constexpr const char* kExitStatus =
    ".SH EXIT STATUS\n"
    ".TP\n.B 0\nSuccess (for \\fBverify\\fR: the image is authentic).\n"
    ".TP\n.B 1\nFailure (for \\fBverify\\fR: not authentic, or malformed). The error names "
    "the field, the values involved and the TEE code the trusted application would return.\n"
    ".TP\n.B 2\nUsage error.\n";

/// The spelling the synopsis shows: the first long name ("--key_type", as upstream spells it).
const std::string& synopsis_name(const OptionDoc& o) {
  for (const std::string& n : o.names)
    if (n.starts_with("--")) return n;
  return o.names.front();
}

std::string option_entry(const OptionDoc& o) {
  std::string head;
  if (o.positional.empty()) {
    for (const std::string& n : o.names)
      head += (head.empty() ? "" : ", ") + fmt::format("\\fB{}\\fR", roff_escape(n));
    if (!o.flag()) head += fmt::format(" \\fI{}\\fR", roff_escape(o.value_name));
  } else {
    head = fmt::format("\\fI{}\\fR", roff_escape(o.positional));
  }
  std::string text = o.description;
  std::vector<std::string> notes;
  if (o.required) notes.push_back("Required");
  if (o.repeatable) notes.push_back("Repeatable: one value per occurrence");
  if (!o.choices.empty()) notes.push_back(fmt::format("One of: {}", fmt::join(o.choices, ", ")));
  if (!o.default_value.empty()) notes.push_back("Default: " + o.default_value);
  for (const std::string& n : notes) text += (text.empty() || text.back() == '.' ? " " : ". ") + n;
  if (!notes.empty()) text += ".";
  return fmt::format(".TP\n{}\n{}", head, paragraphs(text));
}

std::string synopsis(const CommandDoc& c) {
  std::string s = fmt::format(".B rproctee {}\n", c.name);
  for (const OptionDoc& o : c.options) {
    if (std::find(o.names.begin(), o.names.end(), "--help") != o.names.end()) continue;
    std::string item;
    if (!o.positional.empty()) {
      item = fmt::format("\\fI{}\\fR", roff_escape(o.positional));
    } else {
      item = fmt::format("\\fB{}\\fR", roff_escape(synopsis_name(o)));
      if (!o.flag()) item += fmt::format(" \\fI{}\\fR", roff_escape(o.value_name));
    }
    if (!o.required) item = "[" + item + "]";
    if (o.repeatable) item += "...";
    s += item + "\n";
  }
  return s;
}

}  // namespace

std::string roff_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  // A line that starts with '.' or '\'' would be a request.
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string command_man_page(const CommandDoc& c, const std::string& version) {
  std::string page = header("rproctee-" + c.name, version);
  page +=
      fmt::format(".SH NAME\nrproctee\\-{} \\- {}\n", roff_escape(c.name), roff_escape(c.summary));
  page += ".SH SYNOPSIS\n" + synopsis(c);
  page += ".SH DESCRIPTION\n" + paragraphs(c.description);
  page += ".SH OPTIONS\n";
  for (const OptionDoc& o : c.options) page += option_entry(o);
  page += kExitStatus;
  page += ".SH SEE ALSO\n.BR rproctee (1)\n";
  return page;
}

std::string main_man_page(const std::vector<CommandDoc>& commands, const std::string& version) {
  std::string page = header("rproctee", version);
  page +=
      ".SH NAME\nrproctee \\- signed firmware for TEE\\-controlled remote processors\n"
      ".SH SYNOPSIS\n.B rproctee\n.I COMMAND\n[\\fIOPTIONS\\fR]\n.br\n"
      ".B rproctee \\-\\-version\n.br\n.B sign_rproc_fw.py\n[\\fIOPTIONS\\fR]\n"
      ".SH DESCRIPTION\n"
      "rproctee is \"remoteproc + TEE\" in one program: the signer of OP\\-TEE's and ST's "
      "sign_rproc_fw.py (byte\\-identical output), an offline verifier, the secure world "
      "(TEE core, OP\\-TEE's remoteproc trusted application and platform service) with a "
      "simulated STM32MP2/MP1 SoC whose Cortex\\-M really runs the firmware, and Linux's "
      "remoteproc normal world with its sysfs/debugfs files. Invoked as \\fBsign_rproc_fw.py\\fR "
      "it is \\fBrproctee sign\\fR. Each command has \\fB\\-\\-help\\fR and a page of its own.\n"
      ".SH COMMANDS\n";
  for (const CommandDoc& c : commands)
    page += fmt::format(".TP\n.BR rproctee\\-{} (1)\n{}\n", roff_escape(c.name),
                        roff_escape(c.summary));
  page += kExitStatus;
  page +=
      ".SH ENVIRONMENT\n"
      ".TP\n.B RPROCTEE_TEE\nThe machine TEE clients (libteec, \\fBrproctee machine\\fR's default "
      "socket) use: \\fBunix:\\fR\\fIPATH\\fR. Default: unix:/run/rproctee/tee.sock.\n"
      ".TP\n.B RPROCTEE_FIRMWARE_DIR\nWhere \\fBrproctee run\\fR looks for the bundled demo "
      "firmware first.\n"
      ".TP\n.B PKCS11_MODULE\nThe PKCS#11 module for \\fB\\-\\-key pkcs11:\\fR... when "
      "\\fB\\-\\-pkcs11\\-module\\fR is not given.\n"
      ".TP\n.BR RPROCTEE_FAULT \", \" RPROCTEE_UP_FAULT\nFault injection for tests "
      "(\\fIKIND\\fR:\\fIN\\fR[:kill]).\n"
      ".SH FILES\n"
      ".TP\n.I /run/rproctee/tee.sock\nThe machine's socket (\\fBrproctee machine\\fR, "
      "rproctee\\-machine.socket); libteec connects there.\n"
      ".TP\n.I /usr/share/rproctee/firmware\nThe bundled demo firmware.\n"
      ".SH SEE ALSO\n";
  std::string see;
  for (const CommandDoc& c : commands)
    see += fmt::format("{}.BR rproctee\\-{} (1)", see.empty() ? "" : ",\n", roff_escape(c.name));
  page += see + "\n";
  return page;
}

}  // namespace rproctee::cli
