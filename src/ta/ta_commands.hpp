// The remoteproc TA's interface, exactly as OP-TEE's ta/remoteproc and Linux remoteproc_tee
// use it (UUID 80a4c275-0a47-4905-8285-1486a9771a08). Every command: params[0] VALUE_INPUT,
// a = remote processor id.
#pragma once

#include <cstdint>

namespace rproctee::ta {

inline constexpr uint32_t kLoadFw = 1;  // p1 MEMREF_INPUT: the whole signed image
inline constexpr uint32_t kStartFw = 2;
inline constexpr uint32_t kStopFw = 3;
inline constexpr uint32_t kGetRscTable =
    4;  // p1 VALUE_OUTPUT address lo/hi, p2 VALUE_OUTPUT size lo/hi
inline constexpr uint32_t kGetCoredump = 5;  // p1 MEMREF_OUTPUT (SHORT_BUFFER with the size)
inline constexpr uint32_t kReleaseFw = 6;
/// rproctee extension: p1 MEMREF_OUTPUT receives the message of the last rejection, so that
/// the normal world can log why a boot failed (the TEE client API only carries a code).
inline constexpr uint32_t kGetLastError = 0x100;

}  // namespace rproctee::ta
