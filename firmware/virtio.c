#include "virtio.h"

#include "arm.h"
#include "board.h"
#include "ipcc.h"
#include "trace.h"

uint32_t vring_size(uint32_t num, uint32_t align) {
  uint32_t avail_end = 16u * num + 6u + 2u * num;
  return (avail_end + align - 1u) / align * align + 6u + 8u * num;
}

void vring_init(struct vring* vr, uint32_t da, uint32_t num, uint32_t align) {
  uint32_t used = (da + 16u * num + 6u + 2u * num + align - 1u) & ~(align - 1u);
  vr->da = da;
  vr->num = num;
  vr->desc = (volatile struct vring_desc*)da;
  vr->avail = (volatile struct vring_avail*)(da + 16u * num);
  vr->used = (volatile struct vring_used*)used;
  vr->last_avail = 0;
  vr->used_idx = 0;
}

int vring_has_avail(const struct vring* vr) {
  return vr->avail->idx != vr->last_avail;
}

static int shared(uint32_t addr, uint32_t len) {
  return addr >= DEMO_SHARED_BASE && addr < DEMO_SHARED_END && len <= DEMO_SHARED_END - addr;
}

int vring_take(struct vring* vr, uint16_t* head, uint8_t** buf, uint32_t* len) {
  while (vring_has_avail(vr)) {
    dmb(); /* read the entry after seeing the index that publishes it */
    uint16_t h = vr->avail->ring[vr->last_avail % vr->num];
    vr->last_avail++;
    if (h < vr->num) {
      uint32_t addr = (uint32_t)vr->desc[h].addr;
      uint32_t n = vr->desc[h].len;
      if ((vr->desc[h].addr >> 32) == 0 && shared(addr, n)) {
        *head = h;
        *buf = (uint8_t*)addr;
        *len = n;
        return 1;
      }
    }
    trace("vdev: vring @ 0x%x: descriptor %u outside the shared memory, dropped", (unsigned)vr->da,
          (unsigned)h);
    if (h < vr->num) vring_put(vr, h, 0);
  }
  return 0;
}

void vring_put(struct vring* vr, uint16_t head, uint32_t len) {
  volatile struct vring_used_elem* e = &vr->used->ring[vr->used_idx % vr->num];
  e->id = head;
  e->len = len;
  dmb(); /* the element before the index that publishes it */
  vr->used->idx = ++vr->used_idx;
  dmb();
}

void vring_want_kicks(struct vring* vr, int wanted) {
  uint16_t flags = vr->used->flags;
  vr->used->flags = wanted ? (uint16_t)(flags & ~VRING_USED_F_NO_NOTIFY)
                           : (uint16_t)(flags | VRING_USED_F_NO_NOTIFY);
  ipcc_fence();
}

int vring_wants_interrupt(const struct vring* vr) {
  ipcc_fence();
  return !(vr->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
}
