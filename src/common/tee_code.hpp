// GlobalPlatform TEE result codes (TEE_Result / TEEC_Result values) and their names.
#pragma once

#include <cstdint>
#include <string_view>

namespace rproctee {

/// A GlobalPlatform result code, as returned by a TA or the TEE client API.
enum class TeeCode : uint32_t {
  kSuccess = 0x00000000,
  kGeneric = 0xFFFF0000,
  kAccessDenied = 0xFFFF0001,
  kCancel = 0xFFFF0002,
  kAccessConflict = 0xFFFF0003,
  kExcessData = 0xFFFF0004,
  kBadFormat = 0xFFFF0005,
  kBadParameters = 0xFFFF0006,
  kBadState = 0xFFFF0007,
  kItemNotFound = 0xFFFF0008,
  kNotImplemented = 0xFFFF0009,
  kNotSupported = 0xFFFF000A,
  kNoData = 0xFFFF000B,
  kOutOfMemory = 0xFFFF000C,
  kBusy = 0xFFFF000D,
  kCommunication = 0xFFFF000E,
  kSecurity = 0xFFFF000F,
  kShortBuffer = 0xFFFF0010,
  kExternalCancel = 0xFFFF0011,
  kTargetDead = 0xFFFF3024,
  kSignatureInvalid = 0xFFFF3072,
  kCorruptObject = 0xF0100001,
};

/// The GlobalPlatform name of a code ("TEE_ERROR_SIGNATURE_INVALID"), or "TEE_ERROR_UNKNOWN".
std::string_view tee_code_name(TeeCode code);

/// The code as the 10-character lower-case hex string used in JSON ("0xffff3072").
std::string tee_code_hex(TeeCode code);

}  // namespace rproctee
