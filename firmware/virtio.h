/* The device side of virtio split rings (shared/spec/remoteproc.md): the host is the driver,
   the firmware takes buffers from a ring's avail ring and gives them back on its used ring. */
#ifndef DEMO_VIRTIO_H
#define DEMO_VIRTIO_H

#include <stdint.h>

/* Notification suppression (virtio 1.x, legacy layout): the device sets NO_NOTIFY in used.flags
   while it does not need kicks for a ring (busy with it, or not waiting for buffers); the
   driver sets NO_INTERRUPT in avail.flags while it does not need interrupts. Hints only: each
   side re-checks the ring after asking for notifications again. */
#define VRING_USED_F_NO_NOTIFY 1u
#define VRING_AVAIL_F_NO_INTERRUPT 1u

struct vring_desc {
  uint64_t addr; /* device address of the buffer */
  uint32_t len;
  uint16_t flags, next;
};

struct vring_avail {
  uint16_t flags, idx;
  uint16_t ring[];
};

struct vring_used_elem {
  uint32_t id, len;
};

struct vring_used {
  uint16_t flags, idx;
  struct vring_used_elem ring[];
};

struct vring {
  uint32_t da, num;
  volatile struct vring_desc* desc;
  volatile struct vring_avail* avail;
  volatile struct vring_used* used;
  uint16_t last_avail; /* next avail entry to take */
  uint16_t used_idx;   /* our copy of used->idx */
};

/* Bytes of a ring of `num` entries aligned to `align` (desc, avail, padding, used). */
uint32_t vring_size(uint32_t num, uint32_t align);
/* Sets up a fresh ring at device address `da` (nothing taken or used yet). */
void vring_init(struct vring* vr, uint32_t da, uint32_t num, uint32_t align);
/* True when the driver has made a buffer available that was not taken yet. */
int vring_has_avail(const struct vring* vr);
/* Takes the next available buffer: its descriptor index, address and length. Returns 0 when
   there is none. A descriptor whose buffer is not inside the shared memory is returned to the
   driver at once (used length 0) and skipped. */
int vring_take(struct vring* vr, uint16_t* head, uint8_t** buf, uint32_t* len);
/* Gives buffer `head` back to the driver with `len` bytes written. */
void vring_put(struct vring* vr, uint16_t head, uint32_t len);
/* Asks the driver to kick this ring when it adds buffers (`wanted`), or not to. After asking
   again, the caller re-checks vring_has_avail() (a full barrier is in between). */
void vring_want_kicks(struct vring* vr, int wanted);
/* True when the driver wants an interrupt for buffers put on this ring (read after a full
   barrier, so that a driver asking again sees the buffers or is interrupted). */
int vring_wants_interrupt(const struct vring* vr);

#endif
