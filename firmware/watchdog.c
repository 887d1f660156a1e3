#include "watchdog.h"

#include "arm.h"
#include "board.h"

#define IWDG_KR REG32(IWDG_BASE + 0x00u)
#define IWDG_PR REG32(IWDG_BASE + 0x04u)
#define IWDG_RLR REG32(IWDG_BASE + 0x08u)
#define IWDG_SR REG32(IWDG_BASE + 0x0Cu)

#define IWDG_KEY_UNLOCK 0x5555u
#define IWDG_KEY_START 0xCCCCu
#define IWDG_KEY_REFRESH 0xAAAAu
#define IWDG_PR_DIV8 1u   /* 32 kHz / 8 = 4 kHz */
#define IWDG_RLR_1S 3999u /* (3999 + 1) / 4 kHz = 1 s */
#define REFRESH_EVERY_MS 100u

static volatile uint32_t ticks;
static volatile int refreshing;

void watchdog_start(void) {
  IWDG_KR = IWDG_KEY_START;
  IWDG_KR = IWDG_KEY_UNLOCK;
  IWDG_PR = IWDG_PR_DIV8;
  IWDG_RLR = IWDG_RLR_1S;
  while (IWDG_SR != 0) {
  } /* PR/RLR updates done */
  IWDG_KR = IWDG_KEY_REFRESH;
  refreshing = 1;

  SYST_RVR = DEMO_CORE_CLOCK_HZ / DEMO_SYSTICK_HZ - 1u;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* processor clock, TICKINT, ENABLE */
}

void watchdog_stop_refreshing(void) {
  refreshing = 0;
}

uint32_t uptime_ms(void) {
  return ticks;
}

void systick_handler(void) {
  uint32_t t = ticks + 1u;
  ticks = t;
  if (refreshing && t % REFRESH_EVERY_MS == 0u) IWDG_KR = IWDG_KEY_REFRESH;
}
