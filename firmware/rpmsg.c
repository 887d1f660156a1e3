#include "rpmsg.h"

#include "arm.h"
#include "board.h"
#include "ipcc.h"
#include "lib.h"
#include "rsc_table.h"
#include "trace.h"
#include "virtio.h"

static struct vring rx_ring; /* vring0: device -> host */
static struct vring tx_ring; /* vring1: host -> device */
static int started;
static int bad_vrings_traced;
static int batching; /* inside rpmsg_poll: interrupts of the host wait for the batch end */
static uint32_t rx_unsignalled; /* messages put on vring0 since the last interrupt of the host */

int rpmsg_started(void) {
  return started;
}

static int vring_placement_ok(uint32_t da) {
  uint32_t size = vring_size(VRING_NUM, VRING_ALIGN);
  return da != FW_RSC_ADDR_ANY && (da & (VRING_ALIGN - 1u)) == 0 && da >= DEMO_SHARED_BASE &&
         da < DEMO_SHARED_END && size <= DEMO_SHARED_END - da;
}

int rpmsg_try_start(void) {
  if (started) return 1;
  if (!(rsc_vdev_status() & VIRTIO_CONFIG_S_DRIVER_OK)) return 0;
  dmb(); /* the vring addresses were written before the status */
  uint32_t da0 = rsc_vring_da(0), da1 = rsc_vring_da(1);
  if (!vring_placement_ok(da0) || !vring_placement_ok(da1)) {
    if (!bad_vrings_traced)
      trace("vdev: DRIVER_OK, but the vrings (0x%x, 0x%x) are not in shared memory", (unsigned)da0,
            (unsigned)da1);
    bad_vrings_traced = 1;
    return 0;
  }
  vring_init(&rx_ring, da0, VRING_NUM, VRING_ALIGN);
  vring_init(&tx_ring, da1, VRING_NUM, VRING_ALIGN);
  /* Refills of vring0 need no kick unless a send waits for a buffer. */
  vring_want_kicks(&rx_ring, 0);
  started = 1;
  trace("vdev: DRIVER_OK, vring0 @ 0x%x, vring1 @ 0x%x", (unsigned)da0, (unsigned)da1);

  /* As OpenAMP: the endpoint is announced only when the host accepted the name service. */
  if (!(rsc_vdev_gfeatures() & (1u << VIRTIO_RPMSG_F_NS))) {
    trace("rpmsg: the host does not take name-service announcements");
    return 1;
  }
  struct rpmsg_ns_msg ns;
  memset(&ns, 0, sizeof ns);
  memcpy(ns.name, DEMO_EPT_NAME, sizeof DEMO_EPT_NAME);
  ns.addr = DEMO_EPT_ADDR;
  ns.flags = RPMSG_NS_CREATE;
  rpmsg_send(DEMO_EPT_ADDR, RPMSG_NS_ADDR, &ns, sizeof ns);
  trace("rpmsg: announced \"%s\" at 0x%x", DEMO_EPT_NAME, (unsigned)DEMO_EPT_ADDR);
  return 1;
}

int rpmsg_work_pending(void) {
  if (!started) return (rsc_vdev_status() & VIRTIO_CONFIG_S_DRIVER_OK) && !bad_vrings_traced;
  vring_want_kicks(&tx_ring, 1);
  return vring_has_avail(&tx_ring);
}

/* Interrupts the host for the messages put on vring0, when it wants interrupts. */
static void signal_rx(void) {
  if (!rx_unsignalled) return;
  rx_unsignalled = 0;
  if (vring_wants_interrupt(&rx_ring)) ipcc_notify(IPCC_CH_VQ0);
}

void rpmsg_send(uint32_t src, uint32_t dst, const void* data, uint32_t len) {
  uint16_t head;
  uint8_t* buf;
  uint32_t size;
  if (len > RPMSG_PAYLOAD_MAX) len = RPMSG_PAYLOAD_MAX;
  for (;;) {
    if (vring_take(&rx_ring, &head, &buf, &size)) {
      if (size >= RPMSG_HDR_SIZE + len) break;
      vring_put(&rx_ring, head, 0); /* too small for this message: give it back unused */
      continue;
    }
    /* No RX buffer: the host may wait for the messages already put; then sleep until it
       posts a buffer (asked to kick channel 0 meanwhile). A shutdown request must still be
       answered. */
    signal_rx();
    vring_want_kicks(&rx_ring, 1);
    irq_disable();
    if (!vring_has_avail(&rx_ring) && !(ipcc_events & (1u << IPCC_CH_SHUTDOWN))) wfi();
    irq_enable();
    vring_want_kicks(&rx_ring, 0);
    if (ipcc_events & (1u << IPCC_CH_SHUTDOWN)) demo_shutdown();
  }
  struct rpmsg_hdr hdr = {src, dst, 0, (uint16_t)len, 0};
  memcpy(buf, &hdr, sizeof hdr);
  memcpy(buf + RPMSG_HDR_SIZE, data, len);
  vring_put(&rx_ring, head, RPMSG_HDR_SIZE + len);
  ++rx_unsignalled;
  if (!batching || rx_unsignalled >= RPMSG_BATCH) signal_rx();
}

void rpmsg_poll(rpmsg_rx_cb cb) {
  uint16_t head;
  uint8_t* buf;
  uint32_t size;
  int returned = 0;
  vring_want_kicks(&tx_ring, 0); /* busy with vring1: it is read to the end below */
  batching = 1;
  while (vring_take(&tx_ring, &head, &buf, &size)) {
    struct rpmsg_hdr hdr;
    uint32_t len = 0;
    int valid = size >= RPMSG_HDR_SIZE;
    if (valid) {
      memcpy(&hdr, buf, sizeof hdr);
      len = hdr.len;
      valid = len <= RPMSG_PAYLOAD_MAX && len <= size - RPMSG_HDR_SIZE;
    }
    if (valid) cb(hdr.src, hdr.dst, buf + RPMSG_HDR_SIZE, len);
    vring_put(&tx_ring, head, size);
    ++returned;
  }
  batching = 0;
  signal_rx();
  /* Returned TX buffers interrupt the host only when it waits for one. */
  if (returned && vring_wants_interrupt(&tx_ring)) ipcc_notify(IPCC_CH_VQ1);
}
