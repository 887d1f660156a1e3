/* The rpmsg device side over the vdev of the resource table: vring0 carries messages to the
   host (its RX buffers), vring1 messages from the host (its TX buffers). */
#ifndef DEMO_RPMSG_H
#define DEMO_RPMSG_H

#include <stdint.h>

#define RPMSG_BUF_SIZE 512u
#define RPMSG_HDR_SIZE 16u
#define RPMSG_PAYLOAD_MAX (RPMSG_BUF_SIZE - RPMSG_HDR_SIZE)
#define RPMSG_NS_ADDR 0x35u
#define RPMSG_NS_CREATE 0u
#define DEMO_EPT_ADDR 0x400u
#define DEMO_EPT_NAME "rpmsg-tty"

struct rpmsg_hdr {
  uint32_t src, dst, reserved;
  uint16_t len, flags;
} __attribute__((packed));

struct rpmsg_ns_msg {
  char name[32];
  uint32_t addr, flags;
} __attribute__((packed));

/* Called with every message the host sent to `dst`. The payload is in the shared buffer (no
   copy): it goes back to the host once the callback returns. */
typedef void (*rpmsg_rx_cb)(uint32_t src, uint32_t dst, const uint8_t* data, uint32_t len);

/* Once the host set DRIVER_OK: checks and maps the vrings the host placed, traces them and
   announces the endpoint. Returns 1 when the vdev is (now) running. */
int rpmsg_try_start(void);
int rpmsg_started(void);
/* Called before sleeping: asks the host to kick vring1 again, then tells whether vring1 holds
   messages not handled yet (or DRIVER_OK is newly set). */
int rpmsg_work_pending(void);
/* Handles every message waiting in vring1, without kicks from the host meanwhile; the host is
   interrupted once per batch (of up to RPMSG_BATCH messages), not per message. */
void rpmsg_poll(rpmsg_rx_cb cb);
#define RPMSG_BATCH 8u
/* Sends `len` (<= RPMSG_PAYLOAD_MAX) bytes from `src` to `dst`; waits (WFI) for an RX buffer
   when the host has posted none. Inside rpmsg_poll the host's interrupt waits for the end of
   the batch. */
void rpmsg_send(uint32_t src, uint32_t dst, const void* data, uint32_t len);

/* The main program's answer to a shutdown request seen while waiting (never returns). */
void demo_shutdown(void) __attribute__((noreturn));

#endif
