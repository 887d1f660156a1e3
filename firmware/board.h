/* The facts of the virtual SoC the firmware runs on, selected at build time: DEMO_SOC_MP25
   (Cortex-M33 of the STM32MP25), DEMO_SOC_MP21 (Cortex-M33 of the STM32MP21) or DEMO_SOC_MP15
   (Cortex-M4 of the STM32MP15). Interrupt numbers and addresses are those of the parts (ST's
   CMSIS device headers).
   DEMO_IMAGE_NAME names the signed image in the banner ("demo-m33", "demo-multi", ...). */
#ifndef DEMO_BOARD_H
#define DEMO_BOARD_H

#define DEMO_VERSION "1.0.0"

#if defined(DEMO_SOC_MP25) || defined(DEMO_SOC_MP21)
#define DEMO_CORE_NAME "cortex-m33"
#define IPCC_BASE 0x40490000u /* IPCC1 */
#if defined(DEMO_SOC_MP25)
#define IPCC_RX_IRQ 171u /* IPCC1_RX: RX occupied */
#define IPCC_TX_IRQ 172u /* IPCC1_TX: TX free (unused) */
#else
#define IPCC_RX_IRQ 152u
#define IPCC_TX_IRQ 153u
#endif
#define IWDG_BASE 0x44040000u /* IWDG4: the M33's non-secure watchdog */
#define DEMO_IRQ_COUNT (IPCC_TX_IRQ + 1u)
#define DEMO_TRACE_SIZE 4096u
#define DEMO_TRACE_NAME "cm33_log"
/* The memory shared with the host (non-secure): ipc-shmem, vdev0vring0/1, vdev0buffer. Vrings
   and message buffers the host hands over must lie inside it. */
#define DEMO_SHARED_BASE 0x81200000u
#define DEMO_SHARED_END 0x81300000u
#elif defined(DEMO_SOC_MP15)
#define DEMO_CORE_NAME "cortex-m4"
#define IPCC_BASE 0x4C001000u
#define IPCC_RX_IRQ 103u
#define IPCC_TX_IRQ 104u
#define IWDG_BASE 0x5A002000u
#define DEMO_IRQ_COUNT 105u
#define DEMO_TRACE_SIZE 2048u /* the tail of vdev0vring1: see demo-m4.ld */
#define DEMO_TRACE_NAME "cm4_log"
/* vdev0vring0, vdev0vring1, vdev0buffer: the only memories of the M4 the normal world maps. */
#define DEMO_SHARED_BASE 0x10040000u
#define DEMO_SHARED_END 0x10046000u
#else
#error "define DEMO_SOC_MP25, DEMO_SOC_MP21 or DEMO_SOC_MP15"
#endif

#ifndef DEMO_IMAGE_NAME
#error "define DEMO_IMAGE_NAME"
#endif

/* Nominal core clock of both presets; SysTick at 1 kHz. */
#define DEMO_CORE_CLOCK_HZ 64000000u
#define DEMO_SYSTICK_HZ 1000u

/* "rproctee demo firmware 1.0.0 on cortex-m33 (demo-m33)": the first trace line and the
   answer to the "version" command. */
#define DEMO_BANNER \
  "rproctee demo firmware " DEMO_VERSION " on " DEMO_CORE_NAME " (" DEMO_IMAGE_NAME ")"

#endif
