/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What only the kernel's own TEE clients may use, and so is not in <tee_client_api.h>: the
 * login Linux's in-kernel clients such as remoteproc_tee pass (TEE_IOCTL_LOGIN_REE_KERNEL).
 * rproctee's normal world plays the kernel and uses it through the static client library;
 * libteec.so refuses it with TEEC_ERROR_GENERIC (origin COMMS), as the kernel refuses it from
 * user space (EPERM).
 */
#ifndef RPROCTEE_TEE_CLIENT_KERNEL_H
#define RPROCTEE_TEE_CLIENT_KERNEL_H

#include "teec/tee_client_api.h"

#define TEEC_LOGIN_REE_KERNEL 0x80000000
/* The range of logins reserved for kernel clients (TEE_IOCTL_LOGIN_REE_KERNEL_MIN/_MAX). */
#define TEEC_LOGIN_REE_KERNEL_MIN 0x80000000
#define TEEC_LOGIN_REE_KERNEL_MAX 0xBFFFFFFF

#endif /* RPROCTEE_TEE_CLIENT_KERNEL_H */
