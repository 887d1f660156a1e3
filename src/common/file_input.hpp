// Reading a file given on a command line or named by a user: stat before reading, refuse what
// is not a regular file (a FIFO would hang, /dev/zero never ends), refuse what is larger than
// the caller's documented limit, and read exactly the size stat announced, never more.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace rproctee {

/// Limits of the inputs rproctee reads whole (README: "Input limits").
inline constexpr uint64_t kMaxKeyFile = 64 * 1024;       // PEM/DER keys, key_info
inline constexpr uint64_t kMaxAesKeyFile = 64;           // raw AES-128/192/256 keys
inline constexpr uint64_t kMaxDeviceTreeFile = 1 << 20;  // .dtb / .dts
inline constexpr uint64_t kMaxImageFile = 1ull << 30;    // ELF or signed image given to the tools
inline constexpr uint64_t kMaxPinFile = 4096;            // a PKCS#11 pin-source file

/// The whole of `path`. ITEM_NOT_FOUND when it cannot be opened, BAD_PARAMETERS for something
/// other than a regular file or a file over `max_size` bytes (the message names `what`, the
/// path, the size and the limit), GENERIC for a read error. Never blocks on a FIFO.
Result<std::vector<uint8_t>> read_regular_file(const std::string& path, uint64_t max_size,
                                               std::string_view what = "file");

}  // namespace rproctee
