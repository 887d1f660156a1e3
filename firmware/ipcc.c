#include "ipcc.h"

#include "arm.h"
#include "board.h"

/* Register offsets (RM0436 "IPCC"), processor 2's view. */
#define IPCC_C1TOC2SR REG32(IPCC_BASE + 0x0Cu) /* host -> remote flags (occupied) */
#define IPCC_C2CR REG32(IPCC_BASE + 0x10u)     /* bit 0 RXOIE, bit 16 TXFIE */
#define IPCC_C2MR REG32(IPCC_BASE + 0x14u)     /* bits 0..15 CHnOM, bits 16..31 CHnFM */
#define IPCC_C2SCR REG32(IPCC_BASE + 0x18u)    /* bit n CHnC (clear), bit 16+n CHnS (set) */
#define IPCC_VER REG32(IPCC_BASE + 0x3F4u)

#define IPCC_C2CR_RXOIE (1u << 0)
#define IPCC_ALL_MASKED 0xFFFFFFFFu /* the bits of missing channels read as zero */
#define IPCC_USED_CHANNELS 0xFu     /* channels 0..3 */

volatile uint32_t ipcc_events;

void ipcc_init(void) {
  IPCC_C2MR = IPCC_ALL_MASKED & ~IPCC_USED_CHANNELS; /* unmask "occupied" of channels 0..3 */
  IPCC_C2CR = IPCC_C2CR_RXOIE;
  nvic_enable(IPCC_RX_IRQ);
}

void ipcc_notify(uint32_t ch) {
  dsb(); /* the vring update is visible before the host sees the kick */
  IPCC_C2SCR = 1u << (16u + ch);
}

void ipcc_fence(void) {
  dmb();
  (void)IPCC_VER;
  dmb();
}

void ipcc_ack(uint32_t ch) {
  IPCC_C2SCR = 1u << ch;
  irq_disable();
  IPCC_C2MR &= ~(1u << ch);
  irq_enable();
}

void ipcc_rx_irq_handler(void) {
  uint32_t mask = IPCC_C2MR;
  uint32_t pending = IPCC_C1TOC2SR & ~mask & IPCC_USED_CHANNELS;
  /* Vring kicks carry no data: acknowledge them now, main looks at the rings. */
  uint32_t kicks = pending & ((1u << IPCC_CH_VQ0) | (1u << IPCC_CH_VQ1));
  if (kicks) IPCC_C2SCR = kicks;
  /* Shutdown and detach are acknowledged by main once handled: mask them meanwhile so that
     the level-sensitive line drops. */
  uint32_t requests = pending & ~kicks;
  if (requests) IPCC_C2MR = mask | requests;
  ipcc_events |= pending;
  dsb();
}
