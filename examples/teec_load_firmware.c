/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An OP-TEE host program for the remoteproc TA, written against the GlobalPlatform TEE Client
 * API only: it builds unchanged against optee_client's libteec (talking to OP-TEE through
 * /dev/tee0) and against rproctee's (talking to `rproctee machine`):
 *
 *   cc teec_load_firmware.c $(pkg-config --cflags --libs teec) -o teec_load_firmware
 *   teec_load_firmware PROCESSOR_ID IMAGE.sign
 *
 * It does what Linux's remoteproc_tee driver does for a boot and a shutdown: open a session
 * for the processor, LOAD_FW the signed image from shared memory, GET_RSC_TABLE, START_FW,
 * STOP_FW, RELEASE_FW. The session is opened with TEEC_LOGIN_PUBLIC: the TA checks no login
 * (the kernel's REE_KERNEL login is not available to user space), only the parameters.
 * rproctee's libteec finds its machine as libteec finds /dev/tee0: /run/rproctee/tee.sock, or
 * $RPROCTEE_TEE (e.g. unix:/tmp/tee.sock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tee_client_api.h>

/* ta_remoteproc.h of OP-TEE (ta/remoteproc/include). */
#define TA_REMOTEPROC_UUID                           \
  {                                                  \
    0x80a4c275, 0x0a47, 0x4905, {                    \
      0x82, 0x85, 0x14, 0x86, 0xa9, 0x77, 0x1a, 0x08 \
    }                                                \
  }
#define TA_RPROC_CMD_LOAD_FW 1
#define TA_RPROC_CMD_START_FW 2
#define TA_RPROC_CMD_STOP_FW 3
#define TA_RPROC_CMD_GET_RSC_TABLE 4
#define TA_RPROC_CMD_RELEASE_FW 6
/* rproctee's TA only: why the last command was refused (OP-TEE's TA answers
 * TEEC_ERROR_BAD_PARAMETERS, and nothing is printed). */
#define RPROCTEE_CMD_GET_LAST_ERROR 0x100

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
  if (TEEC_InvokeCommand(session, RPROCTEE_CMD_GET_LAST_ERROR, &op, NULL) == TEEC_SUCCESS)
    fprintf(stderr, "teec_load_firmware: the TA says: %s\n", reason);
}

/* A command whose only parameter is the processor id. */
static TEEC_Result simple(TEEC_Session* session, uint32_t cmd, uint32_t id, uint32_t* origin) {
  TEEC_Operation op;
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  return TEEC_InvokeCommand(session, cmd, &op, origin);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PROCESSOR_ID IMAGE.sign\n", argv[0]);
    return 2;
  }
  const uint32_t id = (uint32_t)strtoul(argv[1], NULL, 0);
  FILE* f = fopen(argv[2], "rb");
  if (!f) {
    perror(argv[2]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  const long size = ftell(f);
  fseek(f, 0, SEEK_SET);

  TEEC_Context ctx;
  TEEC_Session session;
  uint32_t origin = 0;
  TEEC_Result res = TEEC_InitializeContext(NULL, &ctx);
  if (res != TEEC_SUCCESS) return fail("TEEC_InitializeContext", res, 0);

  TEEC_Operation op;
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  const TEEC_UUID uuid = TA_REMOTEPROC_UUID;
  res = TEEC_OpenSession(&ctx, &session, &uuid, TEEC_LOGIN_PUBLIC, NULL, &op, &origin);
  if (res != TEEC_SUCCESS) return fail("TEEC_OpenSession", res, origin);

  /* The image goes into shared memory the TA reads in place. */
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
  res = TEEC_InvokeCommand(&session, TA_RPROC_CMD_LOAD_FW, &op, &origin);
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
  res = TEEC_InvokeCommand(&session, TA_RPROC_CMD_GET_RSC_TABLE, &op, &origin);
  if (res != TEEC_SUCCESS) return fail("GET_RSC_TABLE", res, origin);
  printf("GET_RSC_TABLE: address 0x%08x%08x, size %u bytes\n", op.params[1].value.b,
         op.params[1].value.a, op.params[2].value.a);

  if ((res = simple(&session, TA_RPROC_CMD_START_FW, id, &origin)) != TEEC_SUCCESS)
    return fail("START_FW", res, origin);
  printf("START_FW: released from reset\n");
  if ((res = simple(&session, TA_RPROC_CMD_STOP_FW, id, &origin)) != TEEC_SUCCESS)
    return fail("STOP_FW", res, origin);
  printf("STOP_FW: stopped\n");
  if ((res = simple(&session, TA_RPROC_CMD_RELEASE_FW, id, &origin)) != TEEC_SUCCESS)
    return fail("RELEASE_FW", res, origin);
  printf("RELEASE_FW: memories wiped\n");

  TEEC_CloseSession(&session);
  TEEC_FinalizeContext(&ctx);
  return 0;
}
