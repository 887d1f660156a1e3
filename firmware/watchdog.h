/* The independent watchdog (STM32 IWDG, 32 kHz LSI) with a 1 s timeout, refreshed every 100 ms
   from the SysTick interrupt (1 kHz) until watchdog_stop_refreshing(). */
#ifndef DEMO_WATCHDOG_H
#define DEMO_WATCHDOG_H

#include <stdint.h>

/* Starts the IWDG (PR = /8, RLR = 3999: 1 s) and SysTick. */
void watchdog_start(void);
/* Stops refreshing: the watchdog expires about 1 s later ("hang" command). */
void watchdog_stop_refreshing(void);
/* Milliseconds since watchdog_start. */
uint32_t uptime_ms(void);
/* The SysTick exception handler (vector table). */
void systick_handler(void);

#endif
