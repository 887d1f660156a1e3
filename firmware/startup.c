/* Vector table and reset handler of the demo application: the table sits at the start of the
   code region (the boot address), large enough for the IPCC interrupts of the SoC. */
#include <stdint.h>

#include "arm.h"
#include "board.h"
#include "ipcc.h"
#include "trace.h"
#include "watchdog.h"

typedef void (*vector_t)(void);

extern uint32_t __stack_top, __data_start, __data_end, __data_load, __bss_start, __bss_end;
int main(void);
void reset_handler(void);
void default_handler(void);

#define VECTORS (16u + DEMO_IRQ_COUNT)

__attribute__((section(".vectors"), used)) const vector_t vector_table[VECTORS] = {
    [0] = (vector_t)&__stack_top,
    [1] = reset_handler,
    [2 ... 14] = default_handler,
    [15] = systick_handler,
    [16 ... 16 + IPCC_RX_IRQ - 1] = default_handler,
    [16 + IPCC_RX_IRQ] = ipcc_rx_irq_handler,
    [16 + IPCC_RX_IRQ + 1 ... VECTORS - 1] = default_handler,
};

/* An exception nobody expects: stop visibly (the core reports a breakpoint). */
void default_handler(void) {
  for (;;) __asm volatile("bkpt #0");
}

void reset_handler(void) {
  /* .data is loaded in place by the TA (VMA == LMA); copy only when the link says otherwise. */
  if (&__data_load != &__data_start) {
    const uint32_t* src = &__data_load;
    for (uint32_t* dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
  }
  for (uint32_t* dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
  SCB_VTOR = (uint32_t)vector_table;
  dsb();
  isb();
  trace_init();
  main();
  for (;;) wfi();
}
