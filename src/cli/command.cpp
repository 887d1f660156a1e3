#include "cli/command.hpp"

#include "common/printable.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>

namespace rproctee::cli {

Result<std::vector<std::string>> expand_abbreviations(const CLI::App& app,
                                                      std::vector<std::string> args) {
  std::map<std::string, const CLI::Option*> names;  // long name -> option
  for (const CLI::Option* opt : app.get_options())
    for (const std::string& n : opt->get_lnames()) names[n] = opt;
  for (std::string& arg : args) {
    if (arg == "--") break;
    if (arg.size() <= 2 || arg.rfind("--", 0) != 0) continue;
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (names.count(name)) continue;
    std::vector<std::string> candidates;
    const CLI::Option* target = nullptr;
    bool same_option = true;
    for (const auto& [n, opt] : names) {
      if (n.rfind(name, 0) != 0) continue;
      candidates.push_back("--" + n);
      if (target && target != opt) same_option = false;
      if (!target) target = opt;
    }
    if (candidates.empty()) continue;  // CLI11 reports the unknown option
    if (!same_option)
      return make_error(TeeCode::kBadParameters, "ambiguous option: --{} could match {}", name,
                        fmt::join(candidates, ", "));
    arg = candidates.front() + (eq == std::string::npos ? "" : arg.substr(eq));
  }
  return args;
}

namespace {
thread_local AppHook g_app_hook;
}  // namespace

ScopedAppHook::ScopedAppHook(AppHook hook) : previous_(std::move(g_app_hook)) {
  g_app_hook = std::move(hook);
}

ScopedAppHook::~ScopedAppHook() {
  g_app_hook = std::move(previous_);
}

void one_value_per_occurrence(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (!opt->nonpositional() || opt->get_expected_max() <= 1) continue;
    // CLI11 lets a vector option take every following word; one per occurrence instead, each
    // occurrence adding to the list.
    opt->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    opt->description(opt->get_description() + " (repeatable)");
  }
}

bool is_repeatable(const CLI::Option& option) {
  return option.nonpositional() &&
         option.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
}

std::optional<int> parse_args(CLI::App& app, std::vector<std::string> args) {
  one_value_per_occurrence(app);
  if (g_app_hook) return g_app_hook(app, args);
  auto expanded = expand_abbreviations(app, std::move(args));
  if (!expanded) return usage_error(app.get_name(), expanded.error().message);
  std::reverse(expanded->begin(), expanded->end());  // CLI11 consumes from the back
  try {
    app.parse(std::move(*expanded));
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    return usage_error(app.get_name(), e.what());
  }
  return std::nullopt;
}

void print_error(std::string_view prog, const Error& error) {
  std::cerr << fmt::format("{}: error: {} [{} {}]\n", prog, escape_nonprintable(error.message),
                           tee_code_name(error.code), tee_code_hex(error.code));
}

int usage_error(std::string_view prog, std::string_view message) {
  std::cerr << fmt::format("{}: usage error: {}\nRun '{} --help' for usage.\n", prog, message,
                           prog);
  return kExitUsage;
}

}  // namespace rproctee::cli
