/* The STM32 IPCC as processor 2 (the remote core): receive "occupied" channels from the host
   (processor 1) and acknowledge them, set channels towards the host.
   Channels: 0 = vq0, 1 = vq1, 2 = shutdown request, 3 = detach. */
#ifndef DEMO_IPCC_H
#define DEMO_IPCC_H

#include <stdint.h>

#define IPCC_CH_VQ0 0u
#define IPCC_CH_VQ1 1u
#define IPCC_CH_SHUTDOWN 2u
#define IPCC_CH_DETACH 3u

/* Host -> remote channels seen by the interrupt handler and not yet handled by main:
   bit n = channel n. Channels 0 and 1 are acknowledged by the handler at once; 2 and 3 are
   masked and acknowledged by main (ipcc_ack) once handled. */
extern volatile uint32_t ipcc_events;

/* Unmasks the RX-occupied interrupt of channels 0..3 and enables it in the NVIC. */
void ipcc_init(void);
/* Sets remote -> host channel `ch` (a kick of the host). */
void ipcc_notify(uint32_t ch);
/* Clears host -> remote channel `ch` (the acknowledgement the host waits for) and unmasks it. */
void ipcc_ack(uint32_t ch);
/* A full barrier: stores before it are visible to the host before loads after it. DMB is
   that on hardware; the emulated core's DMB emits no fence on an x86 host (Unicorn's TCG
   drops barriers outside parallel mode), an access to a device model is one (it takes a
   lock). Reads the IPCC's version register, which has no side effect. */
void ipcc_fence(void);
/* The RX-occupied interrupt handler (vector table). */
void ipcc_rx_irq_handler(void);

#endif
