// The remoteproc TA's interface, exactly as OP-TEE's ta/remoteproc (ta_remoteproc.h) and Linux
// remoteproc_tee use it. Every command: params[0] VALUE_INPUT, a = remote processor id (the
// `st,proc-id` / the id in `st,rproc-tee = <&tee id>`). Linux opens the session with login
// REE_KERNEL and params[0] VALUE_INPUT a = processor id.
#pragma once

#include <cstdint>

#include "protocol/param_types.hpp"
#include "protocol/uuid.hpp"

namespace rproctee::protocol::rproc_ta {

/// 80a4c275-0a47-4905-8285-1486a9771a08
inline constexpr Uuid kUuid{
    0x80a4c275, 0x0a47, 0x4905, {0x82, 0x85, 0x14, 0x86, 0xa9, 0x77, 0x1a, 0x08}};

inline constexpr uint32_t kLoadFw = 1;
inline constexpr uint32_t kStartFw = 2;
inline constexpr uint32_t kStopFw = 3;
inline constexpr uint32_t kGetRscTable = 4;
inline constexpr uint32_t kGetCoredump = 5;
inline constexpr uint32_t kReleaseFw = 6;
/// rproctee extension: p1 MEMREF_OUTPUT receives the message of the last rejection, so that
/// the normal world can log why a boot failed (the TEE client API only carries a code).
inline constexpr uint32_t kGetLastError = 0x100;

/// Open session: p0 a = processor id.
inline constexpr uint32_t kOpenSessionParams = param_types(ParamType::kValueInput);
/// LOAD_FW: p1 the whole signed image.
inline constexpr uint32_t kLoadFwParams =
    param_types(ParamType::kValueInput, ParamType::kMemrefInput);
/// START_FW, STOP_FW, RELEASE_FW.
inline constexpr uint32_t kNoArgumentParams = param_types(ParamType::kValueInput);
/// GET_RSC_TABLE: p1 a/b = address low/high, p2 a/b = size low/high; (0, 0) = no table.
inline constexpr uint32_t kGetRscTableParams =
    param_types(ParamType::kValueInput, ParamType::kValueOutput, ParamType::kValueOutput);
/// GET_COREDUMP: p1 the core file; SHORT_BUFFER with the size needed when too small.
inline constexpr uint32_t kGetCoredumpParams =
    param_types(ParamType::kValueInput, ParamType::kMemrefOutput);
/// GET_LAST_ERROR: p1 the message (SHORT_BUFFER with the size needed).
inline constexpr uint32_t kGetLastErrorParams =
    param_types(ParamType::kValueInput, ParamType::kMemrefOutput);

}  // namespace rproctee::protocol::rproc_ta
