/* The rproctee demo firmware: traces its lifecycle, runs an independent watchdog, announces
   the "rpmsg-tty" endpoint at 0x400 once the host set DRIVER_OK, and echoes every message sent
   to it, except three commands: "version" (answers the banner), "fault" (a bad memory access
   in demo_fault) and "hang" (spins without refreshing the watchdog). Everything is driven by
   interrupts (IPCC, SysTick); the main loop sleeps in WFI. */
#include <stdint.h>

#include "arm.h"
#include "board.h"
#include "ipcc.h"
#include "lib.h"
#include "rpmsg.h"
#include "trace.h"
#include "watchdog.h"

/* Unmapped in the remote core's address space on both SoCs. */
#define DEMO_FAULT_ADDRESS 0x60000000u

/* The "fault" command: a load from an address nothing answers. The core reports a bad access
   with the PC in this function (a coredump opened in gdb shows it in the backtrace). */
__attribute__((noinline, used)) uint32_t demo_fault(void) {
  return *(volatile uint32_t*)DEMO_FAULT_ADDRESS;
}

/* The "hang" command: no more watchdog refreshes, busy forever (no WFI). */
__attribute__((noinline, noreturn)) static void demo_hang(void) {
  watchdog_stop_refreshing();
  for (;;) __asm volatile("" ::: "memory");
}

void demo_shutdown(void) {
  trace("shutdown requested");
  ipcc_ack(IPCC_CH_SHUTDOWN); /* the acknowledgement the host waits for */
  for (;;) wfi();
}

/* True when `data` is `cmd`, optionally followed by "\n" or "\r\n". */
static int is_command(const uint8_t* data, uint32_t len, const char* cmd) {
  uint32_t n = strlen(cmd);
  if (len < n || memcmp(data, cmd, n) != 0) return 0;
  const uint8_t* rest = data + n;
  uint32_t left = len - n;
  return left == 0 || (left == 1 && rest[0] == '\n') ||
         (left == 2 && rest[0] == '\r' && rest[1] == '\n');
}

static void on_message(uint32_t src, uint32_t dst, const uint8_t* data, uint32_t len) {
  if (dst != DEMO_EPT_ADDR) return;
  if (is_command(data, len, "version")) {
    rpmsg_send(DEMO_EPT_ADDR, src, DEMO_BANNER, sizeof DEMO_BANNER - 1u);
  } else if (is_command(data, len, "fault")) {
    trace("command: fault");
    demo_fault();
    for (;;) wfi(); /* not reached: the load faults */
  } else if (is_command(data, len, "hang")) {
    trace("command: hang");
    demo_hang();
  } else {
    rpmsg_send(DEMO_EPT_ADDR, src, data, len);
  }
}

static uint32_t take_events(void) {
  irq_disable();
  uint32_t events = ipcc_events;
  ipcc_events = 0;
  irq_enable();
  return events;
}

int main(void) {
  trace("%s", DEMO_BANNER);
  watchdog_start();
  trace("watchdog: started, 1000 ms timeout");
  ipcc_init();
  for (;;) {
    uint32_t events = take_events();
    if (events & (1u << IPCC_CH_SHUTDOWN)) demo_shutdown();
    if (events & (1u << IPCC_CH_DETACH)) {
      trace("detach requested");
      ipcc_ack(IPCC_CH_DETACH);
    }
    if (rpmsg_try_start()) rpmsg_poll(on_message);
    /* Sleep unless work arrived meanwhile; with PRIMASK set, a pending interrupt still ends
       WFI and is taken once interrupts are enabled again. */
    irq_disable();
    if (!ipcc_events && !rpmsg_work_pending()) wfi();
    irq_enable();
  }
}
