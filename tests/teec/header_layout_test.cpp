// <tee_client_api.h> against optee_client 4.2+'s header (libteec.so.2, unchanged up to 4.10):
// every size, alignment and member offset a C compiler gives its types on x86_64 (measured from
// C by layout_probe.c, and again from C++ here), every constant's value, the TEEC_PARAM_* macros.
// The expected numbers are those of the upstream header, compiled with gcc 12 (-std=gnu11) on
// Debian 12 x86_64 by the research notes (libteec_facts.md, "Layout on x86_64 LP64").
#include <gtest/gtest.h>

#include <climits>
#include <cstddef>
#include <map>
#include <string>

#include "teec/tee_client_api.h"

extern "C" {
struct rproctee_layout_fact {
  const char* name;
  size_t value;
};
size_t rproctee_teec_layout(const rproctee_layout_fact** facts);
}

namespace rproctee::test {
namespace {

/// optee_client 4.2.0 ... 4.10.0, x86_64 LP64.
const std::map<std::string, size_t> kUpstreamLayout = {
    {"sizeof TEEC_Result", 4},
    {"alignof TEEC_Result", 4},
    {"sizeof TEEC_Context", 8},
    {"alignof TEEC_Context", 4},
    {"offsetof TEEC_Context.imp", 0},
    {"offsetof TEEC_Context.imp.fd", 0},
    {"offsetof TEEC_Context.imp.reg_mem", 4},
    {"offsetof TEEC_Context.imp.memref_null", 5},
    {"sizeof TEEC_Context.imp", 8},
    {"sizeof TEEC_UUID", 16},
    {"alignof TEEC_UUID", 4},
    {"offsetof TEEC_UUID.timeLow", 0},
    {"offsetof TEEC_UUID.timeMid", 4},
    {"offsetof TEEC_UUID.timeHiAndVersion", 6},
    {"offsetof TEEC_UUID.clockSeqAndNode", 8},
    {"sizeof TEEC_SharedMemory", 56},
    {"alignof TEEC_SharedMemory", 8},
    {"offsetof TEEC_SharedMemory.buffer", 0},
    {"offsetof TEEC_SharedMemory.size", 8},
    {"offsetof TEEC_SharedMemory.flags", 16},
    {"offsetof TEEC_SharedMemory.imp", 24},
    {"offsetof TEEC_SharedMemory.imp.id", 24},
    {"offsetof TEEC_SharedMemory.imp.alloced_size", 32},
    {"offsetof TEEC_SharedMemory.imp.shadow_buffer", 40},
    {"offsetof TEEC_SharedMemory.imp.registered_fd", 48},
    {"offsetof TEEC_SharedMemory.imp.flags", 52},
    {"sizeof TEEC_SharedMemory.imp", 32},
    {"sizeof TEEC_SharedMemory.imp.flags", 4},
    {"sizeof TEEC_TempMemoryReference", 16},
    {"alignof TEEC_TempMemoryReference", 8},
    {"offsetof TEEC_TempMemoryReference.buffer", 0},
    {"offsetof TEEC_TempMemoryReference.size", 8},
    {"sizeof TEEC_RegisteredMemoryReference", 24},
    {"alignof TEEC_RegisteredMemoryReference", 8},
    {"offsetof TEEC_RegisteredMemoryReference.parent", 0},
    {"offsetof TEEC_RegisteredMemoryReference.size", 8},
    {"offsetof TEEC_RegisteredMemoryReference.offset", 16},
    {"sizeof TEEC_Value", 8},
    {"alignof TEEC_Value", 4},
    {"offsetof TEEC_Value.a", 0},
    {"offsetof TEEC_Value.b", 4},
    {"sizeof TEEC_Parameter", 24},
    {"alignof TEEC_Parameter", 8},
    {"sizeof TEEC_Parameter.tmpref", 16},
    {"sizeof TEEC_Parameter.memref", 24},
    {"sizeof TEEC_Parameter.value", 8},
    {"sizeof TEEC_Session", 16},
    {"alignof TEEC_Session", 8},
    {"offsetof TEEC_Session.imp", 0},
    {"offsetof TEEC_Session.imp.ctx", 0},
    {"offsetof TEEC_Session.imp.session_id", 8},
    {"sizeof TEEC_Operation", 112},
    {"alignof TEEC_Operation", 8},
    {"offsetof TEEC_Operation.started", 0},
    {"offsetof TEEC_Operation.paramTypes", 4},
    {"offsetof TEEC_Operation.params", 8},
    {"offsetof TEEC_Operation.params[1]", 32},
    {"offsetof TEEC_Operation.params[2]", 56},
    {"offsetof TEEC_Operation.params[3]", 80},
    {"offsetof TEEC_Operation.imp", 104},
    {"offsetof TEEC_Operation.imp.session", 104},
};

#if defined(__x86_64__) && defined(__LP64__)
constexpr bool kX86_64 = true;
#else
constexpr bool kX86_64 = false;
#endif

TEST(TeecHeader, CLayoutIsOpteeClient42s) {
  if (!kX86_64) GTEST_SKIP() << "the upstream numbers are x86_64's";
  const rproctee_layout_fact* facts = nullptr;
  const size_t n = rproctee_teec_layout(&facts);
  std::map<std::string, size_t> measured;
  for (size_t i = 0; i < n; ++i) measured[facts[i].name] = facts[i].value;
  EXPECT_EQ(measured, kUpstreamLayout);
}

TEST(TeecHeader, CxxLayoutIsTheSame) {
  if (!kX86_64) GTEST_SKIP() << "the upstream numbers are x86_64's";
  // The same header seen by a C++ program.
  EXPECT_EQ(sizeof(TEEC_Context), 8u);
  EXPECT_EQ(alignof(TEEC_Context), 4u);
  EXPECT_EQ(offsetof(TEEC_Context, imp.memref_null), 5u);
  EXPECT_EQ(sizeof(TEEC_SharedMemory), 56u);
  EXPECT_EQ(offsetof(TEEC_SharedMemory, imp.id), 24u);
  EXPECT_EQ(offsetof(TEEC_SharedMemory, imp.flags), 52u);
  EXPECT_EQ(sizeof(TEEC_Session), 16u);
  EXPECT_EQ(offsetof(TEEC_Session, imp.session_id), 8u);
  EXPECT_EQ(sizeof(TEEC_Operation), 112u);
  EXPECT_EQ(offsetof(TEEC_Operation, imp.session), 104u);
  EXPECT_EQ(sizeof(TEEC_Parameter), 24u);
}

TEST(TeecHeader, EveryConstantHasUpstreamsValue) {
  const std::map<std::string, unsigned long> values = {
      {"TEEC_CONFIG_PAYLOAD_REF_COUNT", TEEC_CONFIG_PAYLOAD_REF_COUNT},
      {"TEEC_CONFIG_SHAREDMEM_MAX_SIZE", TEEC_CONFIG_SHAREDMEM_MAX_SIZE},
      {"TEEC_NONE", TEEC_NONE},
      {"TEEC_VALUE_INPUT", TEEC_VALUE_INPUT},
      {"TEEC_VALUE_OUTPUT", TEEC_VALUE_OUTPUT},
      {"TEEC_VALUE_INOUT", TEEC_VALUE_INOUT},
      {"TEEC_MEMREF_TEMP_INPUT", TEEC_MEMREF_TEMP_INPUT},
      {"TEEC_MEMREF_TEMP_OUTPUT", TEEC_MEMREF_TEMP_OUTPUT},
      {"TEEC_MEMREF_TEMP_INOUT", TEEC_MEMREF_TEMP_INOUT},
      {"TEEC_MEMREF_WHOLE", TEEC_MEMREF_WHOLE},
      {"TEEC_MEMREF_PARTIAL_INPUT", TEEC_MEMREF_PARTIAL_INPUT},
      {"TEEC_MEMREF_PARTIAL_OUTPUT", TEEC_MEMREF_PARTIAL_OUTPUT},
      {"TEEC_MEMREF_PARTIAL_INOUT", TEEC_MEMREF_PARTIAL_INOUT},
      {"TEEC_MEM_INPUT", TEEC_MEM_INPUT},
      {"TEEC_MEM_OUTPUT", TEEC_MEM_OUTPUT},
      {"TEEC_SUCCESS", TEEC_SUCCESS},
      {"TEEC_ERROR_STORAGE_NOT_AVAILABLE", TEEC_ERROR_STORAGE_NOT_AVAILABLE},
      {"TEEC_ERROR_GENERIC", TEEC_ERROR_GENERIC},
      {"TEEC_ERROR_ACCESS_DENIED", TEEC_ERROR_ACCESS_DENIED},
      {"TEEC_ERROR_CANCEL", TEEC_ERROR_CANCEL},
      {"TEEC_ERROR_ACCESS_CONFLICT", TEEC_ERROR_ACCESS_CONFLICT},
      {"TEEC_ERROR_EXCESS_DATA", TEEC_ERROR_EXCESS_DATA},
      {"TEEC_ERROR_BAD_FORMAT", TEEC_ERROR_BAD_FORMAT},
      {"TEEC_ERROR_BAD_PARAMETERS", TEEC_ERROR_BAD_PARAMETERS},
      {"TEEC_ERROR_BAD_STATE", TEEC_ERROR_BAD_STATE},
      {"TEEC_ERROR_ITEM_NOT_FOUND", TEEC_ERROR_ITEM_NOT_FOUND},
      {"TEEC_ERROR_NOT_IMPLEMENTED", TEEC_ERROR_NOT_IMPLEMENTED},
      {"TEEC_ERROR_NOT_SUPPORTED", TEEC_ERROR_NOT_SUPPORTED},
      {"TEEC_ERROR_NO_DATA", TEEC_ERROR_NO_DATA},
      {"TEEC_ERROR_OUT_OF_MEMORY", TEEC_ERROR_OUT_OF_MEMORY},
      {"TEEC_ERROR_BUSY", TEEC_ERROR_BUSY},
      {"TEEC_ERROR_COMMUNICATION", TEEC_ERROR_COMMUNICATION},
      {"TEEC_ERROR_SECURITY", TEEC_ERROR_SECURITY},
      {"TEEC_ERROR_SHORT_BUFFER", TEEC_ERROR_SHORT_BUFFER},
      {"TEE_ERROR_EXTERNAL_CANCEL", TEE_ERROR_EXTERNAL_CANCEL},
      {"TEEC_ERROR_EXTERNAL_CANCEL", TEEC_ERROR_EXTERNAL_CANCEL},
      {"TEE_ERROR_OVERFLOW", TEE_ERROR_OVERFLOW},
      {"TEE_ERROR_TARGET_DEAD", TEE_ERROR_TARGET_DEAD},
      {"TEEC_ERROR_TARGET_DEAD", TEEC_ERROR_TARGET_DEAD},
      {"TEE_ERROR_STORAGE_NO_SPACE", TEE_ERROR_STORAGE_NO_SPACE},
      {"TEEC_ERROR_STORAGE_NO_SPACE", TEEC_ERROR_STORAGE_NO_SPACE},
      {"TEE_ERROR_MAC_INVALID", TEE_ERROR_MAC_INVALID},
      {"TEE_ERROR_SIGNATURE_INVALID", TEE_ERROR_SIGNATURE_INVALID},
      {"TEE_ERROR_TIME_NOT_SET", TEE_ERROR_TIME_NOT_SET},
      {"TEE_ERROR_TIME_NEEDS_RESET", TEE_ERROR_TIME_NEEDS_RESET},
      {"TEEC_ORIGIN_API", TEEC_ORIGIN_API},
      {"TEEC_ORIGIN_COMMS", TEEC_ORIGIN_COMMS},
      {"TEEC_ORIGIN_TEE", TEEC_ORIGIN_TEE},
      {"TEEC_ORIGIN_TRUSTED_APP", TEEC_ORIGIN_TRUSTED_APP},
      {"TEEC_LOGIN_PUBLIC", TEEC_LOGIN_PUBLIC},
      {"TEEC_LOGIN_USER", TEEC_LOGIN_USER},
      {"TEEC_LOGIN_GROUP", TEEC_LOGIN_GROUP},
      {"TEEC_LOGIN_APPLICATION", TEEC_LOGIN_APPLICATION},
      {"TEEC_LOGIN_USER_APPLICATION", TEEC_LOGIN_USER_APPLICATION},
      {"TEEC_LOGIN_GROUP_APPLICATION", TEEC_LOGIN_GROUP_APPLICATION},
  };
  const std::map<std::string, unsigned long> upstream = {
      {"TEEC_CONFIG_PAYLOAD_REF_COUNT", 4},
      {"TEEC_CONFIG_SHAREDMEM_MAX_SIZE", ULONG_MAX},
      {"TEEC_NONE", 0x0},
      {"TEEC_VALUE_INPUT", 0x1},
      {"TEEC_VALUE_OUTPUT", 0x2},
      {"TEEC_VALUE_INOUT", 0x3},
      {"TEEC_MEMREF_TEMP_INPUT", 0x5},
      {"TEEC_MEMREF_TEMP_OUTPUT", 0x6},
      {"TEEC_MEMREF_TEMP_INOUT", 0x7},
      {"TEEC_MEMREF_WHOLE", 0xC},
      {"TEEC_MEMREF_PARTIAL_INPUT", 0xD},
      {"TEEC_MEMREF_PARTIAL_OUTPUT", 0xE},
      {"TEEC_MEMREF_PARTIAL_INOUT", 0xF},
      {"TEEC_MEM_INPUT", 0x1},
      {"TEEC_MEM_OUTPUT", 0x2},
      {"TEEC_SUCCESS", 0x0},
      {"TEEC_ERROR_STORAGE_NOT_AVAILABLE", 0xF0100003},
      {"TEEC_ERROR_GENERIC", 0xFFFF0000},
      {"TEEC_ERROR_ACCESS_DENIED", 0xFFFF0001},
      {"TEEC_ERROR_CANCEL", 0xFFFF0002},
      {"TEEC_ERROR_ACCESS_CONFLICT", 0xFFFF0003},
      {"TEEC_ERROR_EXCESS_DATA", 0xFFFF0004},
      {"TEEC_ERROR_BAD_FORMAT", 0xFFFF0005},
      {"TEEC_ERROR_BAD_PARAMETERS", 0xFFFF0006},
      {"TEEC_ERROR_BAD_STATE", 0xFFFF0007},
      {"TEEC_ERROR_ITEM_NOT_FOUND", 0xFFFF0008},
      {"TEEC_ERROR_NOT_IMPLEMENTED", 0xFFFF0009},
      {"TEEC_ERROR_NOT_SUPPORTED", 0xFFFF000A},
      {"TEEC_ERROR_NO_DATA", 0xFFFF000B},
      {"TEEC_ERROR_OUT_OF_MEMORY", 0xFFFF000C},
      {"TEEC_ERROR_BUSY", 0xFFFF000D},
      {"TEEC_ERROR_COMMUNICATION", 0xFFFF000E},
      {"TEEC_ERROR_SECURITY", 0xFFFF000F},
      {"TEEC_ERROR_SHORT_BUFFER", 0xFFFF0010},
      {"TEE_ERROR_EXTERNAL_CANCEL", 0xFFFF0011},
      {"TEEC_ERROR_EXTERNAL_CANCEL", 0xFFFF0011},
      {"TEE_ERROR_OVERFLOW", 0xFFFF300F},
      {"TEE_ERROR_TARGET_DEAD", 0xFFFF3024},
      {"TEEC_ERROR_TARGET_DEAD", 0xFFFF3024},
      {"TEE_ERROR_STORAGE_NO_SPACE", 0xFFFF3041},
      {"TEEC_ERROR_STORAGE_NO_SPACE", 0xFFFF3041},
      {"TEE_ERROR_MAC_INVALID", 0xFFFF3071},
      {"TEE_ERROR_SIGNATURE_INVALID", 0xFFFF3072},
      {"TEE_ERROR_TIME_NOT_SET", 0xFFFF5000},
      {"TEE_ERROR_TIME_NEEDS_RESET", 0xFFFF5001},
      {"TEEC_ORIGIN_API", 0x1},
      {"TEEC_ORIGIN_COMMS", 0x2},
      {"TEEC_ORIGIN_TEE", 0x3},
      {"TEEC_ORIGIN_TRUSTED_APP", 0x4},
      {"TEEC_LOGIN_PUBLIC", 0x0},
      {"TEEC_LOGIN_USER", 0x1},
      {"TEEC_LOGIN_GROUP", 0x2},
      {"TEEC_LOGIN_APPLICATION", 0x4},
      {"TEEC_LOGIN_USER_APPLICATION", 0x5},
      {"TEEC_LOGIN_GROUP_APPLICATION", 0x6},
  };
  EXPECT_EQ(values, upstream);
}

TEST(TeecHeader, ParamTypeMacrosBehaveAsUpstreams) {
  // The value the research probe printed for upstream's macro.
  EXPECT_EQ(TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_MEMREF_WHOLE,
                             TEEC_MEMREF_PARTIAL_INOUT),
            0xfc61u);
  // Upstream does not parenthesise the index: GET(p, 0 + 1) shifts by 0 + 1 * 4.
  const unsigned p = 0xfc61u;
  EXPECT_EQ(TEEC_PARAM_TYPE_GET(p, 1), TEEC_MEMREF_TEMP_OUTPUT);
  EXPECT_EQ(TEEC_PARAM_TYPE_GET(p, 0 + 1), TEEC_MEMREF_TEMP_OUTPUT);
  EXPECT_EQ(TEEC_PARAM_TYPE_GET(p, 1 + 1), (p >> 5) & 0xF);
}

}  // namespace
}  // namespace rproctee::test
