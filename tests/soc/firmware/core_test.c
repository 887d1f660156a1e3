// Test firmware for the emulated Cortex-M33 (tests/soc/cortex_m_core_test.cpp). The test writes
// `mode` into the mailbox at 0x80A00000 before releasing the core; each mode exercises one
// behaviour and reports through the mailbox.
#include <stdint.h>

struct mailbox {
  volatile uint32_t mode;
  volatile uint32_t pattern[4];
  volatile uint32_t systicks;
  volatile uint32_t expected_pc;  // address of the instruction expected to fault
  volatile uint32_t ipcc_rx;
  volatile uint32_t boots;
  volatile uint32_t stage;
  volatile uint32_t svcs;
  volatile uint32_t exc_return;  // LR in the last recording handler
  volatile uint32_t fp_after;    // s5 after the interrupt returned
  volatile uint32_t fpscr_after;
  volatile uint32_t control_after;
  volatile uint32_t timer_irqs;
  volatile uint32_t cycles;  // DWT CYCCNT across a loop
  volatile uint32_t value;   // what a load returned
  volatile uint32_t ipr;     // an NVIC priority byte after writing 0xFF
};
#define MB ((struct mailbox*)0x80A00000u)

#define REG(a) (*(volatile uint32_t*)(a))
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define NVIC_ISER0 REG(0xE000E100u)
#define NVIC_ISPR0 REG(0xE000E200u)
#define NVIC_IPR(n) (*(volatile uint8_t*)(0xE000E400u + (n)))
#define AIRCR REG(0xE000ED0Cu)
#define CPACR REG(0xE000ED88u)
#define DEMCR REG(0xE000EDFCu)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)
#define TIMER_BASE 0x40040000u  // a timer the test maps (TIM6's place)
#define TIM_CR1 REG(TIMER_BASE + 0x00u)
#define TIM_DIER REG(TIMER_BASE + 0x0Cu)
#define TIM_SR REG(TIMER_BASE + 0x10u)
#define TIM_PSC REG(TIMER_BASE + 0x28u)
#define TIM_ARR REG(TIMER_BASE + 0x2Cu)
#define TIMER_IRQ 22u
#define FP_IRQ 23u              // pended by software: its handler uses the FPU
#define UNMODELLED 0x40120000u  // a peripheral without a model (I2C1's place)
#define IPCC_BASE 0x40490000u
#define IPCC_C2CR REG(IPCC_BASE + 0x10u)
#define IPCC_C2MR REG(IPCC_BASE + 0x14u)
#define IPCC_C2SCR REG(IPCC_BASE + 0x18u)
#define IPCC_RX_IRQ 20u  // the NVIC inputs the test wires the IPCC lines to
#define IPCC_TX_IRQ 21u

enum {
  kPattern = 1,
  kSysTickBusy,
  kSysTickWfi,
  kBusyLoop,
  kBadAccess,
  kUndefined,
  kBreakpoint,
  kIpcc,
  kReset,
  kSvc,
  kFpContext,
  kTimer,
  kCycleCounter,
  kUnmodelled,
  kPriorityBits,
};

extern uint32_t __stack_top;
void reset_handler(void);
void systick_handler(void);
void ipcc_rx_handler(void);
void svc_handler(void);
void default_handler(void);
void timer_handler(void);
void fp_handler(void);

__attribute__((section(".vectors"), used)) void (*const vectors[16 + 32])(void) = {
    (void (*)(void)) & __stack_top,
    reset_handler,
    [2 ... 10] = default_handler,
    [11] = svc_handler,
    [12 ... 14] = default_handler,
    [15] = systick_handler,
    [16 ... 16 + IPCC_RX_IRQ - 1] = default_handler,
    [16 + IPCC_RX_IRQ] = ipcc_rx_handler,
    [16 + IPCC_RX_IRQ + 1] = default_handler,
    [16 + TIMER_IRQ] = timer_handler,
    [16 + FP_IRQ] = fp_handler,
    [16 + FP_IRQ + 1 ... 16 + 31] = default_handler,
};

void default_handler(void) {
  for (;;) __asm volatile("bkpt #1");
}

void systick_handler(void) {
  MB->systicks++;
}

// Records its EXC_RETURN (naked: LR as the core set it) and counts.
__attribute__((naked)) void svc_handler(void) {
  __asm volatile(
      "str lr, [%0]\n"
      "ldr r1, [%1]\n"
      "adds r1, r1, #1\n"
      "str r1, [%1]\n"
      "bx lr\n" ::"r"(&MB->exc_return),
      "r"(&MB->svcs)
      : "r1", "memory");
}

void timer_handler(void) {
  TIM_SR = 0;  // the update flag: write 0 to clear
  MB->timer_irqs++;
}

// Uses the FPU (clobbering s0-s5 and FPSCR) and records its EXC_RETURN.
__attribute__((naked)) void fp_handler(void) {
  __asm volatile(
      ".fpu fpv5-sp-d16\n"
      "str lr, [%0]\n"
      "mov r1, #0\n"
      "vmov s5, r1\n"
      "vmov s0, r1\n"
      "vmsr fpscr, r1\n"
      "bx lr\n" ::"r"(&MB->exc_return)
      : "r1", "memory");
}

// s5 and FPSCR hold known values across an interrupt whose handler uses the FPU.
static void fp_context(void) {
  CPACR |= 0xFu << 20;  // CP10, CP11: full access
  __asm volatile("dsb\nisb");
  NVIC_ISER0 = 1u << FP_IRQ;
  __asm volatile(
      ".fpu fpv5-sp-d16\n"
      "ldr r1, =0x12345678\n"
      "vmov s5, r1\n"
      "ldr r1, =0x03C00000\n"  // FPSCR: RMode 3, FZ, DN
      "vmsr fpscr, r1\n"
      "ldr r1, =1 << 23\n"
      "str r1, [%0]\n"  // NVIC_ISPR0: pend FP_IRQ, taken at once
      "dsb\n"
      "isb\n"
      "vmov r1, s5\n"
      "str r1, [%1]\n"
      "vmrs r1, fpscr\n"
      "str r1, [%2]\n"
      "mrs r1, control\n"
      "str r1, [%3]\n" ::"r"(&NVIC_ISPR0),
      "r"(&MB->fp_after), "r"(&MB->fpscr_after), "r"(&MB->control_after)
      : "r1", "memory");
}

void ipcc_rx_handler(void) {
  IPCC_C2SCR = 1u << 1;         // clear channel 1: the host's message is handled
  IPCC_C2SCR = 1u << (16 + 0);  // send on channel 0
  MB->ipcc_rx++;
}

static void start_systick(void) {
  SYST_RVR = 6400 - 1;  // 100 us at the core's nominal 64 MHz
  SYST_CVR = 0;
  SYST_CSR = 7;  // processor clock, TICKINT, ENABLE
}

__attribute__((noreturn)) static void fault_with_load(void) {
  __asm volatile(
      "ldr r1, =bad_load\n"
      "str r1, [%0]\n"
      "movs r2, #1\n"
      "adds r2, r2, #1\n"
      ".global bad_load\n"
      ".thumb_func\n"
      "bad_load: ldr r0, [%1]\n"
      "b .\n" ::"r"(&MB->expected_pc),
      "r"(0x50000000u)
      : "r0", "r1", "r2", "memory");
  __builtin_unreachable();
}

__attribute__((noreturn)) static void undefined(void) {
  __asm volatile(
      "ldr r1, =bad_udf\n"
      "str r1, [%0]\n"
      ".global bad_udf\n"
      ".thumb_func\n"
      "bad_udf: udf #0\n"
      "b .\n" ::"r"(&MB->expected_pc)
      : "r1", "memory");
  __builtin_unreachable();
}

__attribute__((noreturn)) static void breakpoint(void) {
  __asm volatile(
      "ldr r1, =bad_bkpt\n"
      "str r1, [%0]\n"
      ".global bad_bkpt\n"
      ".thumb_func\n"
      "bad_bkpt: bkpt #0x42\n"
      "b .\n" ::"r"(&MB->expected_pc)
      : "r1", "memory");
  __builtin_unreachable();
}

void reset_handler(void) {
  MB->boots++;
  switch (MB->mode) {
    case kPattern:
      for (uint32_t i = 0; i < 4; ++i) MB->pattern[i] = 0xC0DE0000u + i;
      for (;;) __asm volatile("wfi");
    case kSysTickBusy:
      start_systick();
      for (;;) MB->stage++;
    case kSysTickWfi:
      start_systick();
      for (;;) __asm volatile("wfi");
    case kBusyLoop:
      for (;;) __asm volatile("");
    case kBadAccess:
      fault_with_load();
    case kUndefined:
      undefined();
    case kBreakpoint:
      breakpoint();
    case kIpcc:
      IPCC_C2MR = 0x003F003Fu & ~(1u << 1);  // unmask "occupied" of channel 1
      IPCC_C2CR = 1u;                        // RX occupied interrupt enable
      NVIC_ISER0 = 1u << IPCC_RX_IRQ;
      MB->stage = 1;
      for (;;) __asm volatile("wfi");
    case kReset:
      if (MB->boots < 3) {
        AIRCR = 0x05FA0004u;  // SYSRESETREQ
        for (;;) __asm volatile("");
      }
      for (;;) __asm volatile("wfi");
    case kSvc:
      for (uint32_t i = 0; i < 3; ++i) __asm volatile("svc #0" ::: "memory");
      MB->stage = 1;
      for (;;) __asm volatile("wfi");
    case kFpContext:
      fp_context();
      MB->stage = 1;
      for (;;) __asm volatile("wfi");
    case kTimer:  // 64 MHz / 64 / 1000: an update every millisecond, waking WFI
      TIM_PSC = 63;
      TIM_ARR = 999;
      TIM_DIER = 1;
      TIM_CR1 = 1;
      NVIC_ISER0 = 1u << TIMER_IRQ;
      for (;;) __asm volatile("wfi");
    case kCycleCounter: {
      DWT_CTRL = 1;  // no count without DEMCR.TRCENA
      uint32_t before = DWT_CYCCNT;
      for (volatile uint32_t i = 0; i < 1000; ++i) {
      }
      MB->value = DWT_CYCCNT - before;
      DEMCR = 1u << 24;
      before = DWT_CYCCNT;
      for (volatile uint32_t i = 0; i < 1000; ++i) {
      }
      MB->cycles = DWT_CYCCNT - before;
      MB->stage = 1;
      for (;;) __asm volatile("wfi");
    }
    case kUnmodelled:
      for (uint32_t i = 0; i < 3; ++i) MB->value += REG(UNMODELLED + 0x18u) + 1;  // I2C_ISR
      REG(UNMODELLED) = 1;
      MB->stage = 1;
      for (;;) __asm volatile("wfi");
    case kPriorityBits:
      NVIC_IPR(5) = 0xFF;
      MB->ipr = NVIC_IPR(5);
      MB->stage = 1;
      for (;;) __asm volatile("wfi");
    default:
      for (;;) __asm volatile("bkpt #2");
  }
}
