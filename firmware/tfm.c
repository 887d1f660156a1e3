/* A stand-in for TF-M in the "demo-multi" image: the secure image the core boots first
   (BOOTADDR 0x80000000, BOOTSEC 1). It only hands over to the non-secure application: VTOR to
   the application's vector table, MSP from its word 0, then its reset handler (word 1). */
#include <stdint.h>

#include "arm.h"

#define APP_VECTORS 0x80100000u

extern uint32_t __stack_top;
void tfm_reset_handler(void);
void tfm_default_handler(void);

__attribute__((section(".vectors"), used)) void (*const tfm_vectors[16])(void) = {
    [0] = (void (*)(void)) & __stack_top,
    [1] = tfm_reset_handler,
    [2 ... 15] = tfm_default_handler,
};

void tfm_default_handler(void) {
  for (;;) __asm volatile("bkpt #0");
}

__attribute__((noreturn)) void tfm_reset_handler(void) {
  const volatile uint32_t* app = (const volatile uint32_t*)APP_VECTORS;
  uint32_t sp = app[0], entry = app[1];
  SCB_VTOR = APP_VECTORS;
  dsb();
  isb();
  __asm volatile(
      "msr msp, %0\n"
      "bx %1\n" ::"r"(sp),
      "r"(entry)
      : "memory");
  __builtin_unreachable();
}
