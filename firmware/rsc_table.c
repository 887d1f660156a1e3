#include "rsc_table.h"

#include <stddef.h>

#include "board.h"
#include "trace.h"

/* Kept by the linker script (KEEP(*(.resource_table))) and by `used`. */
__attribute__((section(".resource_table"), used,
               aligned(8))) struct demo_resource_table resource_table = {
    .ver = 1,
    .num = 2,
    .offset = {offsetof(struct demo_resource_table, trace),
               offsetof(struct demo_resource_table, vdev)},
    .trace =
        {
            .type = RSC_TRACE,
            .da = (uint32_t)trace_buffer,
            .len = TRACE_SIZE,
            .name = DEMO_TRACE_NAME,
        },
    .vdev =
        {
            .type = RSC_VDEV,
            .id = VIRTIO_ID_RPMSG,
            .notifyid = 2,
            .dfeatures = 1u << VIRTIO_RPMSG_F_NS,
            .num_of_vrings = 2,
            .vring =
                {
                    {FW_RSC_ADDR_ANY, VRING_ALIGN, VRING_NUM, 0, 0},
                    {FW_RSC_ADDR_ANY, VRING_ALIGN, VRING_NUM, 1, 0},
                },
        },
};
