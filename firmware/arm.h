/* The few Cortex-M core facilities the firmware uses: barriers, WFI, PRIMASK, the NVIC,
   SysTick and VTOR (System Control Space at 0xE000E000). */
#ifndef DEMO_ARM_H
#define DEMO_ARM_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t*)(addr))

#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define SCB_VTOR REG32(0xE000ED08u)
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))

static inline void dmb(void) {
  __asm volatile("dmb" ::: "memory");
}
static inline void dsb(void) {
  __asm volatile("dsb" ::: "memory");
}
static inline void isb(void) {
  __asm volatile("isb" ::: "memory");
}
static inline void wfi(void) {
  __asm volatile("wfi" ::: "memory");
}
static inline void irq_disable(void) {
  __asm volatile("cpsid i" ::: "memory");
}
static inline void irq_enable(void) {
  __asm volatile("cpsie i" ::: "memory");
}

static inline void nvic_enable(uint32_t irq) {
  NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

#endif
