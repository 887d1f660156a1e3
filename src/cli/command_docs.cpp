#include "cli/command_docs.hpp"

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/commands.hpp"

namespace rproctee::cli {

namespace {

/// CLI11 writes a type name as NAME[:VALIDATOR] ("ELF:FILE", "TEXT:{auto,upstream,st}").
void classify_value(const CLI::Option& option, OptionDoc& doc) {
  if (option.get_items_expected_max() == 0) return;  // a flag
  const std::string full = option.get_type_name();
  const size_t colon = full.find(':');
  const std::string base = full.substr(0, colon);
  const std::string check = colon == std::string::npos ? "" : full.substr(colon + 1);
  doc.value_name = base;
  if (!check.empty() && check.front() == '{' && check.back() == '}') {
    doc.value = OptionDoc::Value::kChoice;
    std::string list = check.substr(1, check.size() - 2);
    for (size_t start = 0; start <= list.size();) {
      const size_t comma = std::min(list.find(',', start), list.size());
      doc.choices.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
    if (base == "TEXT") doc.value_name = fmt::format("{}", fmt::join(doc.choices, "|"));
  } else if (base == "DIR" || check == "DIR") {
    doc.value = OptionDoc::Value::kDirectory;
  } else if (check == "FILE" || base == "FILE" || base == "PATH" || base == "ELF" ||
             base == "KEY" || base == "IMAGE" || base.find(".pem") != std::string::npos) {
    doc.value = OptionDoc::Value::kFile;
  } else {
    doc.value = OptionDoc::Value::kText;
  }
}

}  // namespace

OptionDoc describe_option(const CLI::Option& option) {
  OptionDoc doc;
  for (const std::string& s : option.get_snames()) doc.names.push_back("-" + s);
  for (const std::string& l : option.get_lnames()) doc.names.push_back("--" + l);
  if (!option.nonpositional()) doc.positional = option.get_name();
  classify_value(option, doc);
  // A positional that takes several words (ctl's request) is shown as repeatable too.
  doc.repeatable =
      is_repeatable(option) || (!option.nonpositional() && option.get_expected_max() > 1);
  doc.description = option.get_description();
  constexpr std::string_view kMark = " (repeatable)";
  if (doc.repeatable && doc.description.ends_with(kMark))
    doc.description.resize(doc.description.size() - kMark.size());
  doc.default_value = option.get_default_str();
  doc.required = option.get_required();
  return doc;
}

std::vector<CommandDoc> describe_commands() {
  std::vector<CommandDoc> docs;
  for (const CommandInfo& command : commands()) {
    CommandDoc doc{std::string(command.name), std::string(command.summary), "", {}};
    ScopedAppHook hook([&doc](CLI::App& app, std::vector<std::string>&) {
      doc.description = app.get_description();
      std::vector<OptionDoc> positionals;
      for (const CLI::Option* opt : app.get_options()) {
        OptionDoc o = describe_option(*opt);
        (o.positional.empty() ? doc.options : positionals).push_back(std::move(o));
      }
      doc.options.insert(doc.options.end(), positionals.begin(), positionals.end());
      return kExitOk;
    });
    command.run({}, "rproctee " + doc.name);
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace rproctee::cli
