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
};
#define MB ((struct mailbox*)0x80A00000u)

#define REG(a) (*(volatile uint32_t*)(a))
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define NVIC_ISER0 REG(0xE000E100u)
#define AIRCR REG(0xE000ED0Cu)
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
};

extern uint32_t __stack_top;
void reset_handler(void);
void systick_handler(void);
void ipcc_rx_handler(void);
void svc_handler(void);
void default_handler(void);

__attribute__((section(".vectors"), used)) void (*const vectors[16 + 32])(void) = {
    (void (*)(void)) & __stack_top,
    reset_handler,
    [2 ... 10] = default_handler,
    [11] = svc_handler,
    [12 ... 14] = default_handler,
    [15] = systick_handler,
    [16 ... 16 + IPCC_RX_IRQ - 1] = default_handler,
    [16 + IPCC_RX_IRQ] = ipcc_rx_handler,
    [16 + IPCC_RX_IRQ + 1 ... 16 + 31] = default_handler,
};

void default_handler(void) {
  for (;;) __asm volatile("bkpt #1");
}

void systick_handler(void) {
  MB->systicks++;
}

void svc_handler(void) {
  MB->svcs++;
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
    default:
      for (;;) __asm volatile("bkpt #2");
  }
}
