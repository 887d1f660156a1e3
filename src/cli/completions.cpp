#include "cli/completions.hpp"

#include <fmt/format.h>

namespace rproctee::cli {

namespace {

using Value = OptionDoc::Value;

std::string joined_names(const std::vector<CommandDoc>& commands) {
  std::string s;
  for (const CommandDoc& c : commands) s += (s.empty() ? "" : " ") + c.name;
  return s;
}

/// The bash words that complete a value of `o`.
std::string bash_value(const OptionDoc& o) {
  switch (o.value) {
    case Value::kFile:
      return "COMPREPLY=($(compgen -f -- \"$cur\"))";
    case Value::kDirectory:
      return "COMPREPLY=($(compgen -d -- \"$cur\"))";
    case Value::kChoice:
      return fmt::format("COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))", fmt::join(o.choices, " "));
    default:
      return "COMPREPLY=()";
  }
}

/// zsh needs [ ] : ' escaped in an _arguments spec between single quotes.
std::string zsh_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    if (c == '\'')
      out += "'\\''";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string zsh_action(const OptionDoc& o) {
  switch (o.value) {
    case Value::kFile:
      return "_files";
    case Value::kDirectory:
      return "_files -/";
    case Value::kChoice:
      return fmt::format("({})", fmt::join(o.choices, " "));
    default:
      return " ";
  }
}

/// One _arguments spec for `o`.
std::string zsh_spec(const OptionDoc& o) {
  const std::string desc = zsh_text(o.description);
  if (!o.positional.empty())
    return fmt::format("'{}{}:{}:{}'", o.repeatable ? "*" : "", o.required ? "" : ":",
                       zsh_text(o.positional), zsh_action(o));
  std::string values;
  if (!o.flag()) {
    // One message:action pair per word of the value ("ID VALUE" takes two).
    size_t start = 0;
    const std::string& v = o.value_name;
    do {
      const size_t space = std::min(v.find(' ', start), v.size());
      const bool last = space == v.size();
      values += fmt::format(":{}:{}", zsh_text(v.substr(start, space - start)),
                            last ? zsh_action(o) : " ");
      start = space + 1;
    } while (start <= v.size());
  }
  if (o.names.size() == 1)
    return fmt::format("'{}{}[{}]{}'", o.repeatable ? "*" : "", o.names[0], desc, values);
  const std::string all = fmt::format("{}", fmt::join(o.names, " "));
  const std::string braces = fmt::format("{}", fmt::join(o.names, ","));
  // Several spellings: each excludes the others, unless the option may be repeated.
  const std::string prefix = o.repeatable ? "*" : "(" + all + ")";
  return fmt::format("'{}'{{{}}}'[{}]{}'", prefix, braces, desc, values);
}

}  // namespace

std::string bash_completion(const std::vector<CommandDoc>& commands) {
  std::string s =
      "# bash completion for rproctee and sign_rproc_fw.py, generated from rproctee's option\n"
      "# definitions (the same as --help).\n"
      "_rproctee() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} command first\n"
      "  if [[ ${COMP_WORDS[0]##*/} == sign_rproc_fw.py ]]; then\n"
      "    command=sign first=1\n"
      "  else\n"
      "    if [[ $COMP_CWORD -eq 1 ]]; then\n" +
      fmt::format("      COMPREPLY=($(compgen -W \"{} --help --version\" -- \"$cur\"))\n",
                  joined_names(commands)) +
      "      return\n"
      "    fi\n"
      "    command=${COMP_WORDS[1]} first=2\n"
      "  fi\n"
      "  case \"$command $prev\" in\n";
  for (const CommandDoc& c : commands)
    for (const OptionDoc& o : c.options) {
      if (o.flag() || !o.positional.empty()) continue;
      std::string patterns;
      for (const std::string& n : o.names)
        patterns += fmt::format("{}\"{} {}\"", patterns.empty() ? "" : "|", c.name, n);
      s += fmt::format("    {}) {}; return ;;\n", patterns, bash_value(o));
    }
  s += "  esac\n  local options positional=\n  case $command in\n";
  for (const CommandDoc& c : commands) {
    std::string names, positional = "COMPREPLY=()";
    for (const OptionDoc& o : c.options) {
      if (!o.positional.empty()) {
        positional = bash_value(o);
        continue;
      }
      for (const std::string& n : o.names) names += (names.empty() ? "" : " ") + n;
    }
    s += fmt::format("    {}) options=\"{}\" positional='{}' ;;\n", c.name, names, positional);
  }
  s += "    *) return ;;\n"
       "  esac\n"
       "  if [[ $cur == -* || $COMP_CWORD -lt $first ]]; then\n"
       "    COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n"
       "  else\n"
       "    eval \"$positional\"\n"
       "  fi\n"
       "}\n"
       "complete -o filenames -F _rproctee rproctee sign_rproc_fw.py\n";
  return s;
}

std::string zsh_completion(const std::vector<CommandDoc>& commands) {
  std::string s =
      "#compdef rproctee sign_rproc_fw.py\n"
      "# zsh completion for rproctee, generated from its option definitions (the same as "
      "--help).\n\n";
  for (const CommandDoc& c : commands) {
    s += fmt::format("_rproctee_{}() {{\n  _arguments -s -S", c.name);
    for (const OptionDoc& o : c.options) s += " \\\n    " + zsh_spec(o);
    s += "\n}\n\n";
  }
  s += "_rproctee() {\n  local -a commands\n  commands=(\n";
  for (const CommandDoc& c : commands)
    s += fmt::format("    '{}:{}'\n", c.name, zsh_text(c.summary));
  s += "  )\n"
       "  if [[ $service == sign_rproc_fw.py ]]; then\n"
       "    _rproctee_sign\n"
       "    return\n"
       "  fi\n"
       "  if (( CURRENT == 2 )); then\n"
       "    _describe -t commands 'rproctee command' commands\n"
       "    return\n"
       "  fi\n"
       "  local command=$words[2]\n"
       "  shift words\n"
       "  (( CURRENT-- ))\n"
       "  (( $+functions[_rproctee_$command] )) && _rproctee_$command\n"
       "}\n\n"
       "_rproctee \"$@\"\n";
  return s;
}

}  // namespace rproctee::cli
