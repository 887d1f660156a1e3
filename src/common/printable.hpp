// Text that echoes input (firmware names, paths, messages from the firmware) reaches terminals
// and logs: control bytes and escape sequences in it must not act on the terminal. As the
// kernel's %pE, every byte outside printable ASCII is shown as \xNN (and a backslash as \\).
#pragma once

#include <string>
#include <string_view>

namespace rproctee {

std::string escape_nonprintable(std::string_view text);

}  // namespace rproctee
