/* The GlobalPlatform TEE Client API used from a C translation unit, as a C driver or tool
 * would: the header must compile as C and the functions must link with C linkage. Called from
 * tests/tee/client_api_test.cpp. Each function returns 0 when every step answered as
 * expected, else the number of the first step that did not. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "teec/tee_client_kernel.h"

int rproctee_c_null_handles(void);
int rproctee_c_open_and_query(const char* tee_name);
int rproctee_c_load_start_stop(const char* tee_name, const void* image, size_t image_size);

static const TEEC_UUID kRemoteproc = {
    0x80a4c275, 0x0a47, 0x4905, {0x82, 0x85, 0x14, 0x86, 0xa9, 0x77, 0x1a, 0x08}};

enum { kLoadFw = 1, kStartFw = 2, kStopFw = 3, kGetRscTable = 4, kGetLastError = 0x100 };

int rproctee_c_null_handles(void) {
  TEEC_Context ctx;
  TEEC_Session session;
  uint32_t origin = 0;
  TEEC_CloseSession(NULL);
  TEEC_FinalizeContext(NULL);
  TEEC_ReleaseSharedMemory(NULL);
  TEEC_RequestCancellation(NULL);
  if (TEEC_InitializeContext("Invalid TEE name", &ctx) != TEEC_ERROR_ITEM_NOT_FOUND) return 1;
  if (TEEC_InvokeCommand(NULL, kStartFw, NULL, &origin) != TEEC_ERROR_BAD_PARAMETERS) return 2;
  if (origin != TEEC_ORIGIN_API) return 3;
  memset(&session, 0, sizeof session);
  TEEC_CloseSession(&session); /* never opened: ignored */
  if (TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_MEMREF_PARTIAL_OUTPUT,
                       TEEC_MEMREF_TEMP_INOUT) != 0x7EC1)
    return 4;
  return 0;
}

static int open_session(TEEC_Context* ctx, TEEC_Session* session, const char* tee_name) {
  TEEC_Operation op;
  uint32_t origin = 0;
  if (TEEC_InitializeContext(tee_name, ctx) != TEEC_SUCCESS) return 0;
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = 0;
  if (TEEC_OpenSession(ctx, session, &kRemoteproc, TEEC_LOGIN_REE_KERNEL, NULL, &op, &origin) !=
          TEEC_SUCCESS ||
      origin != TEEC_ORIGIN_TRUSTED_APP) {
    TEEC_FinalizeContext(ctx);
    return 0;
  }
  return 1;
}

int rproctee_c_open_and_query(const char* tee_name) {
  TEEC_Context ctx;
  TEEC_Session session;
  TEEC_Operation op;
  TEEC_SharedMemory shm;
  uint32_t origin = 0;
  static const char kWant[] = "GET_RSC_TABLE rejected: no firmware is loaded";
  int step = 0;
  if (!open_session(&ctx, &session, tee_name)) return 1;

  /* GET_RSC_TABLE while OFF: the TA's BAD_STATE; the outputs are written back. */
  memset(&op, 0, sizeof op);
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
  if (TEEC_InvokeCommand(&session, kGetRscTable, &op, &origin) != TEEC_ERROR_BAD_STATE ||
      origin != TEEC_ORIGIN_TRUSTED_APP) {
    step = 2;
    goto out_session;
  }

  /* The reason, into allocated shared memory: a 16-byte partial memref is too short. */
  memset(&shm, 0, sizeof shm);
  shm.size = 256;
  shm.flags = TEEC_MEM_OUTPUT;
  if (TEEC_AllocateSharedMemory(&ctx, &shm) != TEEC_SUCCESS || shm.buffer == NULL) {
    step = 3;
    goto out_session;
  }
  memset(&op, 0, sizeof op);
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].memref.parent = &shm;
  op.params[1].memref.offset = 0;
  op.params[1].memref.size = 16;
  if (TEEC_InvokeCommand(&session, kGetLastError, &op, &origin) != TEEC_ERROR_SHORT_BUFFER ||
      op.params[1].memref.size <= 16) {
    step = 4;
    goto out_shm;
  }
  /* MEMREF_WHOLE: direction and size from the parent. */
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
  if (TEEC_InvokeCommand(&session, kGetLastError, &op, &origin) != TEEC_SUCCESS ||
      strncmp((const char*)shm.buffer, kWant, sizeof kWant - 1) != 0) {
    step = 5;
    goto out_shm;
  }
  /* A partial memref past the end of its parent never leaves the client library. */
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].memref.offset = 200;
  op.params[1].memref.size = 57;
  if (TEEC_InvokeCommand(&session, kGetLastError, &op, &origin) != TEEC_ERROR_BAD_PARAMETERS ||
      origin != TEEC_ORIGIN_API) {
    step = 6;
    goto out_shm;
  }
out_shm:
  TEEC_ReleaseSharedMemory(&shm);
  if (step == 0 && shm.buffer != NULL) step = 7;
out_session:
  TEEC_CloseSession(&session);
  TEEC_FinalizeContext(&ctx);
  return step;
}

int rproctee_c_load_start_stop(const char* tee_name, const void* image, size_t image_size) {
  TEEC_Context ctx;
  TEEC_Session session;
  TEEC_Operation op;
  uint32_t origin = 0;
  int step = 0;
  if (!open_session(&ctx, &session, tee_name)) return 1;
  /* A temporary memref: the library copies the caller's buffer into shared memory. */
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].tmpref.buffer = (void*)(uintptr_t)image;
  op.params[1].tmpref.size = image_size;
  if (TEEC_InvokeCommand(&session, kLoadFw, &op, &origin) != TEEC_SUCCESS ||
      origin != TEEC_ORIGIN_TRUSTED_APP) {
    step = 2;
    goto out;
  }
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  if (TEEC_InvokeCommand(&session, kStartFw, &op, &origin) != TEEC_SUCCESS) {
    step = 3;
    goto out;
  }
  if (TEEC_InvokeCommand(&session, kStopFw, &op, &origin) != TEEC_SUCCESS) step = 4;
out:
  TEEC_CloseSession(&session);
  TEEC_FinalizeContext(&ctx);
  return step;
}
