// Directories that hold state or sockets only their owner may change, checked as sshd's
// StrictModes checks a user's files: another local user must not be able to plant, replace or
// delete what the machine or `up` keeps there. Everything inside is then opened relative to the
// directory's descriptor, never by a path that could be swapped under us.
#pragma once

#include <string>

#include "common/result.hpp"

namespace rproctee {

/// Why `path` is not a directory only this process's user can change, or success: it must be a
/// directory (not a symlink) owned by the effective user, not writable by group or others, and
/// every parent up to / must be owned by root or that user and not writable by group or others
/// — except a root-owned parent with the sticky bit (/tmp), where others cannot remove or rename
/// what they do not own. ACCESS_DENIED naming the path, its owner and its mode.
Status check_private_directory(const std::string& path);

/// Creates `path` with mode 0700 when it is missing (its parent must exist), checks it with
/// check_private_directory, and returns a descriptor of it (O_DIRECTORY | O_NOFOLLOW |
/// O_CLOEXEC), owned by the caller.
Result<int> open_private_directory(const std::string& path);

}  // namespace rproctee
