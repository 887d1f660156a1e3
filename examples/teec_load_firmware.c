/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A normal-world client of the remoteproc TA written in C against the GlobalPlatform TEE Client
 * API only, as Linux's remoteproc_tee driver talks to OP-TEE: open a session for a processor,
 * LOAD_FW a signed image from shared memory, GET_RSC_TABLE, START_FW, STOP_FW.
 *
 *   teec_load_firmware TEE_NAME PROCESSOR_ID IMAGE.sign
 *   (TEE_NAME: unix:/path/to/socket of `rproctee machine`)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teec/tee_client_api.h"

#define TA_RPROC_UUID                                \
  {                                                  \
    0x80a4c275, 0x0a47, 0x4905, {                    \
      0x82, 0x85, 0x14, 0x86, 0xa9, 0x77, 0x1a, 0x08 \
    }                                                \
  }
enum { LOAD_FW = 1, START_FW = 2, STOP_FW = 3, GET_RSC_TABLE = 4, GET_LAST_ERROR = 0x100 };

static int fail(const char* what, TEEC_Result res, uint32_t origin) {
  fprintf(stderr, "teec_load_firmware: %s failed: 0x%08x (origin %u)\n", what, res, origin);
  return 1;
}

static void print_reason(TEEC_Session* session, uint32_t id) {
  char reason[512] = "";
  TEEC_Operation op;
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  op.params[1].tmpref.buffer = reason;
  op.params[1].tmpref.size = sizeof reason;
  if (TEEC_InvokeCommand(session, GET_LAST_ERROR, &op, NULL) == TEEC_SUCCESS)
    fprintf(stderr, "teec_load_firmware: the TA says: %s\n", reason);
}

static TEEC_Result simple(TEEC_Session* session, uint32_t cmd, uint32_t id, uint32_t* origin) {
  TEEC_Operation op;
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  return TEEC_InvokeCommand(session, cmd, &op, origin);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s TEE_NAME PROCESSOR_ID IMAGE.sign\n", argv[0]);
    return 2;
  }
  const uint32_t id = (uint32_t)strtoul(argv[2], NULL, 0);
  FILE* f = fopen(argv[3], "rb");
  if (!f) {
    perror(argv[3]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  const long size = ftell(f);
  fseek(f, 0, SEEK_SET);

  TEEC_Context ctx;
  TEEC_Session session;
  uint32_t origin = 0;
  TEEC_Result res = TEEC_InitializeContext(argv[1], &ctx);
  if (res != TEEC_SUCCESS) return fail("TEEC_InitializeContext", res, 0);

  TEEC_Operation op;
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  const TEEC_UUID uuid = TA_RPROC_UUID;
  res = TEEC_OpenSession(&ctx, &session, &uuid, TEEC_LOGIN_REE_KERNEL, NULL, &op, &origin);
  if (res != TEEC_SUCCESS) return fail("TEEC_OpenSession", res, origin);

  /* The image goes into shared memory the TA reads in place: no copy through the socket. */
  TEEC_SharedMemory shm;
  memset(&shm, 0, sizeof shm);
  shm.size = (size_t)size;
  shm.flags = TEEC_MEM_INPUT;
  res = TEEC_AllocateSharedMemory(&ctx, &shm);
  if (res != TEEC_SUCCESS) return fail("TEEC_AllocateSharedMemory", res, 0);
  if (fread(shm.buffer, 1, shm.size, f) != shm.size) return fail("reading the image", 0, 0);
  fclose(f);

  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  op.params[1].memref.parent = &shm;
  res = TEEC_InvokeCommand(&session, LOAD_FW, &op, &origin);
  TEEC_ReleaseSharedMemory(&shm);
  if (res != TEEC_SUCCESS) {
    print_reason(&session, id);
    return fail("LOAD_FW", res, origin);
  }
  printf("LOAD_FW: authenticated and loaded %ld bytes\n", size);

  memset(&op, 0, sizeof op);
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
  op.params[0].value.a = id;
  res = TEEC_InvokeCommand(&session, GET_RSC_TABLE, &op, &origin);
  if (res != TEEC_SUCCESS) return fail("GET_RSC_TABLE", res, origin);
  printf("GET_RSC_TABLE: address 0x%08x, size %u bytes\n", op.params[1].value.a,
         op.params[2].value.a);

  if ((res = simple(&session, START_FW, id, &origin)) != TEEC_SUCCESS)
    return fail("START_FW", res, origin);
  printf("START_FW: released from reset\n");
  if ((res = simple(&session, STOP_FW, id, &origin)) != TEEC_SUCCESS)
    return fail("STOP_FW", res, origin);
  printf("STOP_FW: stopped, memories wiped\n");

  TEEC_CloseSession(&session);
  TEEC_FinalizeContext(&ctx);
  return 0;
}
