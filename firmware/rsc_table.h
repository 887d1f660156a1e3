/* The resource table (shared/spec/remoteproc.md): a TRACE entry for the trace buffer and the
   rpmsg VDEV with two vrings the host places (da FW_RSC_ADDR_ANY). It lives in its own
   section/segment in memory the normal world maps: the host writes the vring addresses and
   the vdev status into it, so the firmware reads those fields with volatile accesses. */
#ifndef DEMO_RSC_TABLE_H
#define DEMO_RSC_TABLE_H

#include <stdint.h>

#define RSC_TRACE 2u
#define RSC_VDEV 3u
#define FW_RSC_ADDR_ANY 0xFFFFFFFFu
#define VIRTIO_ID_RPMSG 7u
#define VIRTIO_RPMSG_F_NS 0u
#define VIRTIO_CONFIG_S_DRIVER_OK 4u

#define VRING_NUM 16u
#define VRING_ALIGN 16u

struct fw_rsc_trace {
  uint32_t type;
  uint32_t da, len, reserved;
  char name[32];
} __attribute__((packed));

struct fw_rsc_vdev_vring {
  uint32_t da, align, num, notifyid, pa;
} __attribute__((packed));

struct fw_rsc_vdev {
  uint32_t type;
  uint32_t id, notifyid, dfeatures, gfeatures, config_len;
  uint8_t status, num_of_vrings, reserved[2];
  struct fw_rsc_vdev_vring vring[2];
} __attribute__((packed));

struct demo_resource_table {
  uint32_t ver, num, reserved[2];
  uint32_t offset[2];
  struct fw_rsc_trace trace;
  struct fw_rsc_vdev vdev;
} __attribute__((packed));

extern struct demo_resource_table resource_table;

/* Volatile views of the fields the host writes. */
static inline uint8_t rsc_vdev_status(void) {
  return *(volatile uint8_t*)&resource_table.vdev.status;
}
/* The features the host's driver accepted (written before DRIVER_OK). */
static inline uint32_t rsc_vdev_gfeatures(void) {
  return *(volatile uint32_t*)&resource_table.vdev.gfeatures;
}
static inline uint32_t rsc_vring_da(unsigned i) {
  return *(volatile uint32_t*)&resource_table.vdev.vring[i].da;
}

#endif
