// GlobalPlatform parameter types as a TA sees them (TEE_PARAM_TYPE_*), and TEE_PARAM_TYPES():
// the vocabulary of every command layout in this folder. The client API's TEMP/WHOLE/PARTIAL
// memrefs arrive at the TA as the MEMREF types.
#pragma once

#include <cstdint>

namespace rproctee::protocol {

enum class ParamType : uint8_t {
  kNone = 0,
  kValueInput = 1,
  kValueOutput = 2,
  kValueInout = 3,
  kMemrefInput = 5,
  kMemrefOutput = 6,
  kMemrefInout = 7,
};

constexpr bool is_memref(ParamType t) {
  return static_cast<uint8_t>(t) >= 5;
}
constexpr bool is_output(ParamType t) {
  return t == ParamType::kValueOutput || t == ParamType::kValueInout ||
         t == ParamType::kMemrefOutput || t == ParamType::kMemrefInout;
}

/// TEE_PARAM_TYPES(t0, t1, t2, t3).
constexpr uint32_t param_types(ParamType t0, ParamType t1 = ParamType::kNone,
                               ParamType t2 = ParamType::kNone, ParamType t3 = ParamType::kNone) {
  return uint32_t{static_cast<uint8_t>(t0)} | uint32_t{static_cast<uint8_t>(t1)} << 4 |
         uint32_t{static_cast<uint8_t>(t2)} << 8 | uint32_t{static_cast<uint8_t>(t3)} << 12;
}

}  // namespace rproctee::protocol
