/* The layout of <tee_client_api.h> as a C compiler sees it (what an OP-TEE host program is
 * compiled with), reported to tests/teec/header_layout_test.cpp. */
#include <stddef.h>

#include "teec/tee_client_api.h"

struct rproctee_layout_fact {
  const char* name;
  size_t value;
};

#define SIZE(T)                \
  {"sizeof " #T, sizeof(T)}, { \
    "alignof " #T, _Alignof(T) \
  }
#define AT(T, m) \
  { "offsetof " #T "." #m, offsetof(T, m) }
#define MEMBER_SIZE(T, m) \
  { "sizeof " #T "." #m, sizeof(((T*)0)->m) }

static const struct rproctee_layout_fact kFacts[] = {
    SIZE(TEEC_Result),
    SIZE(TEEC_Context),
    AT(TEEC_Context, imp),
    AT(TEEC_Context, imp.fd),
    AT(TEEC_Context, imp.reg_mem),
    AT(TEEC_Context, imp.memref_null),
    MEMBER_SIZE(TEEC_Context, imp),
    SIZE(TEEC_UUID),
    AT(TEEC_UUID, timeLow),
    AT(TEEC_UUID, timeMid),
    AT(TEEC_UUID, timeHiAndVersion),
    AT(TEEC_UUID, clockSeqAndNode),
    SIZE(TEEC_SharedMemory),
    AT(TEEC_SharedMemory, buffer),
    AT(TEEC_SharedMemory, size),
    AT(TEEC_SharedMemory, flags),
    AT(TEEC_SharedMemory, imp),
    AT(TEEC_SharedMemory, imp.id),
    AT(TEEC_SharedMemory, imp.alloced_size),
    AT(TEEC_SharedMemory, imp.shadow_buffer),
    AT(TEEC_SharedMemory, imp.registered_fd),
    AT(TEEC_SharedMemory, imp.flags),
    MEMBER_SIZE(TEEC_SharedMemory, imp),
    MEMBER_SIZE(TEEC_SharedMemory, imp.flags),
    SIZE(TEEC_TempMemoryReference),
    AT(TEEC_TempMemoryReference, buffer),
    AT(TEEC_TempMemoryReference, size),
    SIZE(TEEC_RegisteredMemoryReference),
    AT(TEEC_RegisteredMemoryReference, parent),
    AT(TEEC_RegisteredMemoryReference, size),
    AT(TEEC_RegisteredMemoryReference, offset),
    SIZE(TEEC_Value),
    AT(TEEC_Value, a),
    AT(TEEC_Value, b),
    SIZE(TEEC_Parameter),
    MEMBER_SIZE(TEEC_Parameter, tmpref),
    MEMBER_SIZE(TEEC_Parameter, memref),
    MEMBER_SIZE(TEEC_Parameter, value),
    SIZE(TEEC_Session),
    AT(TEEC_Session, imp),
    AT(TEEC_Session, imp.ctx),
    AT(TEEC_Session, imp.session_id),
    SIZE(TEEC_Operation),
    AT(TEEC_Operation, started),
    AT(TEEC_Operation, paramTypes),
    AT(TEEC_Operation, params),
    AT(TEEC_Operation, params[1]),
    AT(TEEC_Operation, params[2]),
    AT(TEEC_Operation, params[3]),
    AT(TEEC_Operation, imp),
    AT(TEEC_Operation, imp.session),
};

size_t rproctee_teec_layout(const struct rproctee_layout_fact** facts);

size_t rproctee_teec_layout(const struct rproctee_layout_fact** facts) {
  *facts = kFacts;
  return sizeof kFacts / sizeof kFacts[0];
}
