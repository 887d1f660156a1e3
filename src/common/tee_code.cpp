#include "common/tee_code.hpp"

#include <fmt/format.h>

namespace rproctee {

std::string_view tee_code_name(TeeCode code) {
  switch (code) {
    case TeeCode::kSuccess:
      return "TEE_SUCCESS";
    case TeeCode::kGeneric:
      return "TEE_ERROR_GENERIC";
    case TeeCode::kAccessDenied:
      return "TEE_ERROR_ACCESS_DENIED";
    case TeeCode::kCancel:
      return "TEE_ERROR_CANCEL";
    case TeeCode::kAccessConflict:
      return "TEE_ERROR_ACCESS_CONFLICT";
    case TeeCode::kExcessData:
      return "TEE_ERROR_EXCESS_DATA";
    case TeeCode::kBadFormat:
      return "TEE_ERROR_BAD_FORMAT";
    case TeeCode::kBadParameters:
      return "TEE_ERROR_BAD_PARAMETERS";
    case TeeCode::kBadState:
      return "TEE_ERROR_BAD_STATE";
    case TeeCode::kItemNotFound:
      return "TEE_ERROR_ITEM_NOT_FOUND";
    case TeeCode::kNotImplemented:
      return "TEE_ERROR_NOT_IMPLEMENTED";
    case TeeCode::kNotSupported:
      return "TEE_ERROR_NOT_SUPPORTED";
    case TeeCode::kNoData:
      return "TEE_ERROR_NO_DATA";
    case TeeCode::kOutOfMemory:
      return "TEE_ERROR_OUT_OF_MEMORY";
    case TeeCode::kBusy:
      return "TEE_ERROR_BUSY";
    case TeeCode::kCommunication:
      return "TEE_ERROR_COMMUNICATION";
    case TeeCode::kSecurity:
      return "TEE_ERROR_SECURITY";
    case TeeCode::kShortBuffer:
      return "TEE_ERROR_SHORT_BUFFER";
    case TeeCode::kExternalCancel:
      return "TEE_ERROR_EXTERNAL_CANCEL";
    case TeeCode::kTargetDead:
      return "TEE_ERROR_TARGET_DEAD";
    case TeeCode::kSignatureInvalid:
      return "TEE_ERROR_SIGNATURE_INVALID";
    case TeeCode::kCorruptObject:
      return "TEE_ERROR_CORRUPT_OBJECT";
  }
  return "TEE_ERROR_UNKNOWN";
}

std::string tee_code_hex(TeeCode code) {
  return fmt::format("{:#010x}", static_cast<uint32_t>(code));
}

}  // namespace rproctee
