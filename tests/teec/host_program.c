/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An OP-TEE host program in plain C, written against <tee_client_api.h> only: it drives the
 * remoteproc TA as Linux's remoteproc_tee.c does (open a session for the processor, LOAD_FW
 * from registered memory, GET_RSC_TABLE, LOAD_FW again after parse_fw, START_FW, STOP_FW,
 * RELEASE_FW) and checks the answers OP-TEE gives where rproctee must give the same. Built by
 * tests/teec/installed_libteec_test.cpp with `gcc $(pkg-config --cflags --libs teec)` against
 * an installed tree, and run against a `rproctee machine` process.
 *
 *   host_program PROCESSOR_ID IMAGE.sign    (the TEE: TEEC_InitializeContext(NULL, ...))
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tee_client_api.h>

static const TEEC_UUID kRemoteprocTa = {
    0x80a4c275, 0x0a47, 0x4905, {0x82, 0x85, 0x14, 0x86, 0xa9, 0x77, 0x1a, 0x08}};

enum {
  TA_RPROC_CMD_LOAD_FW = 1,
  TA_RPROC_CMD_START_FW = 2,
  TA_RPROC_CMD_STOP_FW = 3,
  TA_RPROC_CMD_GET_RSC_TABLE = 4,
  TA_RPROC_CMD_RELEASE_FW = 6,
};

static int failures;

static void expect(const char* step, TEEC_Result res, uint32_t origin, TEEC_Result want_res,
                   uint32_t want_origin) {
  const int ok = res == want_res && origin == want_origin;
  printf("%s: 0x%08x origin %u%s\n", step, res, origin, ok ? "" : "  <-- unexpected");
  if (!ok) {
    fprintf(stderr, "host_program: %s: got 0x%08x origin %u, expected 0x%08x origin %u\n", step,
            res, origin, want_res, want_origin);
    ++failures;
  }
}

/* The kernel sends num_params = 1: params[0] = processor id, the others NONE. */
static TEEC_Result command(TEEC_Session* s, uint32_t cmd, uint32_t id, uint32_t* origin) {
  TEEC_Operation op;
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  return TEEC_InvokeCommand(s, cmd, &op, origin);
}

static TEEC_Result load(TEEC_Session* s, TEEC_SharedMemory* fw, uint32_t id, uint32_t* origin) {
  TEEC_Operation op;
  memset(&op, 0, sizeof op);
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_PARTIAL_INPUT, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  op.params[1].memref.parent = fw;
  op.params[1].memref.offset = 0;
  op.params[1].memref.size = fw->size;
  return TEEC_InvokeCommand(s, TA_RPROC_CMD_LOAD_FW, &op, origin);
}

static unsigned char* read_image(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  unsigned char* data = NULL;
  long n = 0;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
    data = malloc((size_t)n);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  *size = (size_t)n;
  return data;
}

int main(int argc, char** argv) {
  TEEC_Context ctx;
  TEEC_Session session, second;
  TEEC_SharedMemory fw;
  TEEC_Operation op;
  uint32_t origin = 0, id;
  size_t size = 0;
  unsigned char* image;
  TEEC_Result res;

  if (argc != 3) {
    fprintf(stderr, "usage: %s PROCESSOR_ID IMAGE.sign\n", argv[0]);
    return 2;
  }
  id = (uint32_t)strtoul(argv[1], NULL, 0);
  image = read_image(argv[2], &size);
  if (!image) {
    perror(argv[2]);
    return 2;
  }

  /* As every OP-TEE client: no TEE name. */
  res = TEEC_InitializeContext(NULL, &ctx);
  expect("TEEC_InitializeContext(NULL)", res, 0, TEEC_SUCCESS, 0);
  if (res != TEEC_SUCCESS) goto out_image;

  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  /* User space cannot use the kernel's login (TEE_IOCTL_LOGIN_REE_KERNEL). */
  res = TEEC_OpenSession(&ctx, &session, &kRemoteprocTa, 0x80000000, NULL, &op, &origin);
  expect("open session, REE_KERNEL login", res, origin, TEEC_ERROR_GENERIC, TEEC_ORIGIN_COMMS);
  res = TEEC_OpenSession(&ctx, &session, &kRemoteprocTa, TEEC_LOGIN_PUBLIC, NULL, &op, &origin);
  expect("open session", res, origin, TEEC_SUCCESS, TEEC_ORIGIN_TRUSTED_APP);
  if (res != TEEC_SUCCESS) goto out_context;
  res = TEEC_OpenSession(&ctx, &second, &kRemoteprocTa, TEEC_LOGIN_PUBLIC, NULL, &op, &origin);
  expect("second session on the processor", res, origin, TEEC_ERROR_BUSY, TEEC_ORIGIN_TRUSTED_APP);
  op.params[0].value.a = 0x7777;
  res = TEEC_OpenSession(&ctx, &second, &kRemoteprocTa, TEEC_LOGIN_PUBLIC, NULL, &op, &origin);
  expect("session for an unknown processor", res, origin, TEEC_ERROR_NOT_SUPPORTED,
         TEEC_ORIGIN_TRUSTED_APP);

  /* OP-TEE's TA: unknown commands and wrong parameter types are BAD_PARAMETERS. */
  res = command(&session, 0x42, id, &origin);
  expect("unknown command 0x42", res, origin, TEEC_ERROR_BAD_PARAMETERS, TEEC_ORIGIN_TRUSTED_APP);
  memset(&op, 0, sizeof op);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = id;
  res = TEEC_InvokeCommand(&session, TA_RPROC_CMD_START_FW, &op, &origin);
  expect("START_FW with VALUE_INOUT", res, origin, TEEC_ERROR_BAD_PARAMETERS,
         TEEC_ORIGIN_TRUSTED_APP);
  res = command(&session, TA_RPROC_CMD_START_FW, id, &origin);
  expect("START_FW before LOAD_FW", res, origin, TEEC_ERROR_BAD_STATE, TEEC_ORIGIN_TRUSTED_APP);

  /* The firmware in registered memory, as the kernel registers its buffer. */
  memset(&fw, 0, sizeof fw);
  fw.buffer = image;
  fw.size = size;
  fw.flags = TEEC_MEM_INPUT;
  res = TEEC_RegisterSharedMemory(&ctx, &fw);
  expect("TEEC_RegisterSharedMemory", res, 0, TEEC_SUCCESS, 0);
  if (res != TEEC_SUCCESS) goto out_session;

  res = load(&session, &fw, id, &origin);
  expect("LOAD_FW", res, origin, TEEC_SUCCESS, TEEC_ORIGIN_TRUSTED_APP);

  memset(&op, 0, sizeof op);
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
  op.params[0].value.a = id;
  res = TEEC_InvokeCommand(&session, TA_RPROC_CMD_GET_RSC_TABLE, &op, &origin);
  expect("GET_RSC_TABLE", res, origin, TEEC_SUCCESS, TEEC_ORIGIN_TRUSTED_APP);
  printf("resource table: pa 0x%08x%08x size 0x%x\n", op.params[1].value.b, op.params[1].value.a,
         op.params[2].value.a);
  if (op.params[2].value.a == 0) {
    fprintf(stderr, "host_program: GET_RSC_TABLE found no table\n");
    ++failures;
  }

  /* remoteproc's load after parse_fw: the same image again is a no-op. */
  res = load(&session, &fw, id, &origin);
  expect("LOAD_FW again", res, origin, TEEC_SUCCESS, TEEC_ORIGIN_TRUSTED_APP);
  TEEC_ReleaseSharedMemory(&fw);

  res = command(&session, TA_RPROC_CMD_START_FW, id, &origin);
  expect("START_FW", res, origin, TEEC_SUCCESS, TEEC_ORIGIN_TRUSTED_APP);
  res = command(&session, TA_RPROC_CMD_RELEASE_FW, id, &origin);
  expect("RELEASE_FW while running", res, origin, TEEC_ERROR_BAD_STATE, TEEC_ORIGIN_TRUSTED_APP);
  res = command(&session, TA_RPROC_CMD_STOP_FW, id, &origin);
  expect("STOP_FW", res, origin, TEEC_SUCCESS, TEEC_ORIGIN_TRUSTED_APP);
  res = command(&session, TA_RPROC_CMD_RELEASE_FW, id, &origin);
  expect("RELEASE_FW", res, origin, TEEC_SUCCESS, TEEC_ORIGIN_TRUSTED_APP);

out_session:
  TEEC_CloseSession(&session);
out_context:
  TEEC_FinalizeContext(&ctx);
out_image:
  /* Every path frees what it took: the sanitized builds run this program with LeakSanitizer. */
  free(image);
  printf("%s\n", failures ? "FAILED" : "all steps answered as OP-TEE's TA does");
  return failures ? 1 : 0;
}
