// The peripheral models of src/soc, register by register, as CubeMP2's HAL and CMSIS code use
// them: the RCC's reset clock tree and ready flags, PWR's supply monitors, SYSCFG's boot pins,
// RIF semaphores, EXTI pending lines, GPIO set/reset with the output events, the USART's
// handshake flags, output and input, the HSEM take/release/notify protocol, the timer's update
// events in virtual time, the MPU/SAU/FPU registers and the DWT cycle counter.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "soc/dwt.hpp"
#include "soc/exti.hpp"
#include "soc/gpio.hpp"
#include "soc/hsem.hpp"
#include "soc/peripheral_models.hpp"
#include "soc/pwr.hpp"
#include "soc/rcc.hpp"
#include "soc/rifsc.hpp"
#include "soc/scb_config.hpp"
#include "soc/syscfg.hpp"
#include "soc/timer.hpp"
#include "soc/usart.hpp"

namespace rproctee::soc {
namespace {

constexpr uint64_t kHsi = 64'000'000;

// CMSIS SystemCoreClockUpdate of STM32MP2 (system_stm32mp2xx_m33_ns.c), on the RCC model:
// flexgen channel 0 from its crossbar source through FINDIV and PREDIV.
uint64_t system_core_clock(Rcc& rcc) {
  const uint32_t source = rcc.read32(Rcc::kXbarCfgr) & 0xF;
  if (source != 5) return 0;  // the reset tree runs on HSI (source 5)
  const uint32_t findiv = (rcc.read32(Rcc::kFinDivCfgr) & 0x3F) + 1;
  const uint32_t prediv = (rcc.read32(Rcc::kPreDivCfgr) & 0x3FF) + 1;
  return kHsi / findiv / prediv;
}

TEST(RccModel, TheResetClockTreeGivesA64MHzCoreClock) {
  for (auto variant : {Rcc::Variant::kMp21, Rcc::Variant::kMp25}) {
    Rcc rcc(variant, Rcc::kSize);
    EXPECT_EQ(system_core_clock(rcc), kHsi);
    // Every flexgen channel enabled on HSI, divided by one; the LS-MCU divider is /1 and ready.
    for (uint32_t ch = 0; ch < Rcc::kChannels; ++ch) {
      EXPECT_EQ(rcc.read32(Rcc::kXbarCfgr + 4 * ch), 0x45u) << ch;
      EXPECT_EQ(rcc.read32(Rcc::kFinDivCfgr + 4 * ch), 0x40u) << ch;
    }
    EXPECT_EQ(rcc.read32(Rcc::kLsmcuDivr), 0x80000000u);
  }
}

TEST(RccModel, WhatDriversPollIsReadyAtOnce) {
  Rcc rcc(Rcc::Variant::kMp25, Rcc::kSize);
  constexpr uint32_t kOcensetr = 0x49C, kOcenclrr = 0x4A0, kOcrdyr = 0x4A4;
  EXPECT_EQ(rcc.read32(kOcrdyr), 0x101u);  // HSIRDY, HSERDY
  rcc.write32(kOcenclrr, 1u << 8);         // HSE off
  EXPECT_EQ(rcc.read32(kOcrdyr), 0x1u);
  rcc.write32(kOcensetr, 1u << 8);
  EXPECT_EQ(rcc.read32(kOcrdyr), 0x101u);
  EXPECT_EQ(rcc.read32(kOcrdyr) & ~0x101u, 0u);
  // PLL4: PLLRDY (bit 24) follows PLLEN (bit 8).
  EXPECT_EQ(rcc.read32(Rcc::kPll4Cfgr1) & (1u << 24), 0u);
  rcc.write32(Rcc::kPll4Cfgr1, 1u << 8);
  EXPECT_EQ(rcc.read32(Rcc::kPll4Cfgr1), (1u << 8) | (1u << 24));
  rcc.write32(Rcc::kPll4Cfgr1 + 4 * Rcc::kPllStride, 1u << 8);  // PLL8
  EXPECT_NE(rcc.read32(Rcc::kPll4Cfgr1 + 4 * Rcc::kPllStride) & (1u << 24), 0u);
  // Divider changes complete at once; the crossbar is never busy.
  rcc.write32(Rcc::kXbarCfgr + 4 * 8, 0x48 | 0x80);
  EXPECT_EQ(rcc.read32(Rcc::kXbarCfgr + 4 * 8), 0x48u);
  EXPECT_EQ(rcc.read32(Rcc::kPreDivSr1), 0u);
  EXPECT_EQ(rcc.read32(Rcc::kFinDivSr2), 0u);
  rcc.write32(0x4B4, 2);  // APB1DIVR
  EXPECT_EQ(rcc.read32(0x4B4), 0x80000002u);
  // A peripheral clock enable reads back (__HAL_RCC_GPIOH_IS_CLK_ENABLED).
  rcc.write32(0x548, 0x2);
  EXPECT_EQ(rcc.read32(0x548), 0x2u);
  // LSE and LSI are running, their ready flags follow the enables.
  EXPECT_EQ(rcc.read32(Rcc::kBdcr) & 0x604u, 0x604u);
  rcc.write32(Rcc::kBdcr, 0);
  EXPECT_EQ(rcc.read32(Rcc::kBdcr), 0u);
}

TEST(RccModel, TheReadyOffsetsOfTheMp21AreItsOwn) {
  Rcc rcc(Rcc::Variant::kMp21, Rcc::kSize);
  EXPECT_EQ(rcc.read32(0x498), 0x101u);       // OCRDYR at 0x498 on the MP21
  EXPECT_EQ(rcc.read32(0x4AC), 0x80000000u);  // APB1DIVR ready
  EXPECT_EQ(rcc.read32(0x4A4), 0u);           // the MP25's OCRDYR offset is nothing here
}

TEST(RccModel, ARifSemaphoreTakenByTheCoreHoldsItsCid) {
  Rcc rcc(Rcc::Variant::kMp25, Rcc::kSize);
  constexpr uint32_t kR97Semcr = 0x030 + 8 * 97 + 4;
  rcc.write32(kR97Semcr, 1);
  EXPECT_EQ(rcc.read32(kR97Semcr), 0x21u);  // SEMMUTEX, SEMCID = 2 (the Cortex-M33)
  rcc.write32(kR97Semcr, 0);
  EXPECT_EQ(rcc.read32(kR97Semcr), 0u);
  EXPECT_EQ(rif_semaphore_write(0x31, 0, kRemoteCoreCid), 0x31u);  // not ours: kept
  EXPECT_EQ(rif_semaphore_write(0x31, 1, kRemoteCoreCid), 0x31u);  // taken: unchanged
}

TEST(PwrModel, SupplyMonitorsAreReadyWhenEnabled) {
  Pwr pwr(0x400);
  EXPECT_EQ(pwr.read32(Pwr::kCr1), 0u);
  pwr.write32(Pwr::kCr1, 1u << 3);                           // UCPDVMEN
  EXPECT_EQ(pwr.read32(Pwr::kCr1), (1u << 3) | (1u << 19));  // UCPDRDY
  pwr.write32(Pwr::kCr1, (1u << 11) | 0x1F);                 // UCPDSV and every monitor
  EXPECT_EQ(pwr.read32(Pwr::kCr1), (1u << 11) | 0x1Fu | (0x1Fu << 16));
  pwr.write32(0x38, 1);  // BDCR1 reads back (DBD3P)
  EXPECT_EQ(pwr.read32(0x38), 1u);
}

TEST(SyscfgModel, BootPinsAreReadOnlyAndNotADevelopmentMode) {
  Syscfg syscfg(0x10000);
  EXPECT_EQ(syscfg.read32(Syscfg::kBootsr), 0u);
  syscfg.write32(Syscfg::kBootsr, 0x3);  // would be a developer boot
  EXPECT_EQ(syscfg.read32(Syscfg::kBootsr), 0u);
  syscfg.write32(0x1C00, 0x12345678);  // M33SSCR: a plain register
  EXPECT_EQ(syscfg.read32(0x1C00), 0x12345678u);
}

TEST(RifscModel, ResetStateIsOpenAndSemaphoresRecordTheCid) {
  Rifsc rifsc(0x1000);
  EXPECT_EQ(rifsc.read32(0x014), 0u);                        // SECCFGR1: nothing secure
  EXPECT_EQ(rifsc.read32(Rifsc::kPerCidcfgr + 8 * 35), 0u);  // UART5: no CID filtering
  rifsc.write32(Rifsc::kPerSemcr + 8 * 35, 1);
  EXPECT_EQ(rifsc.read32(Rifsc::kPerSemcr + 8 * 35), 0x21u);
  rifsc.write32(Rifsc::kPerCidcfgr + 8 * 35, 0x21);
  EXPECT_EQ(rifsc.read32(Rifsc::kPerCidcfgr + 8 * 35), 0x21u);
}

TEST(ExtiModel, SoftwareTriggerPendsALineThatRaisesItsInterruptWhenUnmasked) {
  Exti exti(0x400);
  int changes = 0;
  exti.set_irq_listener([&] { ++changes; });
  exti.write32(Exti::kExticr, 0x600);  // line 1 from port G
  EXPECT_EQ(exti.read32(Exti::kExticr), 0x600u);
  exti.write32(Exti::kSwier1, 1u << 1);
  EXPECT_EQ(exti.read32(Exti::kRpr1), 1u << 1);
  EXPECT_EQ(exti.read32(Exti::kSwier1), 0u);
  EXPECT_EQ(exti.irq_lines(), 0u);  // masked for the Cortex-M33 (CPU2)
  exti.write32(Exti::kC2imr1, 1u << 1);
  EXPECT_EQ(exti.irq_lines(), 1u << 1);
  exti.write32(Exti::kRpr1, 1u << 1);  // write 1 to clear
  EXPECT_EQ(exti.irq_lines(), 0u);
  EXPECT_GE(changes, 3);
  // A line of the second bank: pending there, no interrupt output of ours.
  exti.write32(Exti::kSwier1 + Exti::kBankStride, 1);
  EXPECT_EQ(exti.read32(Exti::kRpr1 + Exti::kBankStride), 1u);
  EXPECT_EQ(exti.irq_lines(), 0u);
}

TEST(GpioModel, SetResetAndReadBackWithOutputEvents) {
  std::vector<std::pair<uint32_t, bool>> events;
  Gpio gpio(0x400, [&](uint32_t pin, bool level) { events.emplace_back(pin, level); });
  EXPECT_EQ(gpio.read32(Gpio::kModer), Gpio::kModerReset);
  // PH12 as an output (HAL_GPIO_Init's read-modify-write of MODER).
  gpio.write32(Gpio::kModer, (Gpio::kModerReset & ~(3u << 24)) | (1u << 24));
  gpio.write32(Gpio::kBsrr, 1u << 12);  // set
  EXPECT_EQ(gpio.read32(Gpio::kOdr), 1u << 12);
  EXPECT_EQ(gpio.read32(Gpio::kIdr) & (1u << 12), 1u << 12);
  gpio.write32(Gpio::kBsrr, 1u << (16 + 12));  // reset
  EXPECT_EQ(gpio.read32(Gpio::kOdr), 0u);
  gpio.write32(Gpio::kBsrr, (1u << 12) | (1u << (16 + 12)));  // both: set wins
  EXPECT_EQ(gpio.read32(Gpio::kOdr), 1u << 12);
  gpio.write32(Gpio::kBrr, 1u << 12);
  EXPECT_EQ(gpio.read32(Gpio::kOdr), 0u);
  EXPECT_EQ(gpio.read32(Gpio::kBsrr), 0u);  // write-only
  const std::vector<std::pair<uint32_t, bool>> want = {
      {12, true}, {12, false}, {12, true}, {12, false}};
  EXPECT_EQ(events, want);
  // A pin that is not an output changes ODR silently; an input with a pull-up reads 1.
  gpio.write32(Gpio::kBsrr, 1u << 3);
  EXPECT_EQ(events.size(), want.size());
  gpio.write32(Gpio::kModer, gpio.read32(Gpio::kModer) & ~(3u << 10));  // PH5 input
  gpio.write_masked(Gpio::kPupdr, 1u << 10, 0xFFFF);                    // pull-up
  EXPECT_EQ(gpio.read32(Gpio::kIdr) & (1u << 5), 1u << 5);
  gpio.write32(Gpio::kSemcr0 + 8 * 7, 1);  // PH7's RIF semaphore
  EXPECT_EQ(gpio.read32(Gpio::kSemcr0 + 8 * 7), 0x21u);
}

TEST(RegisterFile, NarrowStoresChangeOnlyTheirBytes) {
  Syscfg syscfg(0x10000);
  syscfg.write32(0x1C00, 0x11223344);
  syscfg.write_masked(0x1C00, 0xAA00, 0xFF00);
  EXPECT_EQ(syscfg.read32(0x1C00), 0x1122AA44u);
}

TEST(UsartModel, HandshakeFlagsFollowTheEnables) {
  Usart u(nullptr);
  EXPECT_EQ(u.read32(Usart::kIsr) & (Usart::kTeAck | Usart::kReAck), 0u);
  EXPECT_NE(u.read32(Usart::kIsr) & Usart::kTc, 0u);  // idle after reset
  u.write32(Usart::kCr1, Usart::kTe | Usart::kRe);    // not enabled yet (UE clear)
  EXPECT_EQ(u.read32(Usart::kIsr) & (Usart::kTeAck | Usart::kReAck), 0u);
  u.write32(Usart::kCr1, Usart::kUe | Usart::kTe | Usart::kRe | (1u << 15));  // OVER8
  const uint32_t isr = u.read32(Usart::kIsr);
  EXPECT_EQ(isr & (Usart::kTeAck | Usart::kReAck | Usart::kTxe | Usart::kTc),
            Usart::kTeAck | Usart::kReAck | Usart::kTxe | Usart::kTc);
  u.write32(Usart::kBrr, 0x453);
  EXPECT_EQ(u.read32(Usart::kBrr), 0x453u);
}

TEST(UsartModel, TransmittedBytesLeaveAtOnceAndTcIsSetAgain) {
  std::string line;
  Usart u([&](std::span<const uint8_t> bytes) { line.append(bytes.begin(), bytes.end()); });
  u.write32(Usart::kTdr, 'x');  // transmitter off: lost
  u.write32(Usart::kCr1, Usart::kUe | Usart::kTe);
  u.write32(Usart::kIcr, 1u << 6);  // TCCF
  EXPECT_EQ(u.read32(Usart::kIsr) & Usart::kTc, 0u);
  for (char c : std::string("hi\r\n")) {
    ASSERT_NE(u.read32(Usart::kIsr) & Usart::kTxe, 0u);
    u.write32(Usart::kTdr, static_cast<uint8_t>(c));
  }
  EXPECT_NE(u.read32(Usart::kIsr) & Usart::kTc, 0u);
  EXPECT_EQ(line, "hi\r\n");
  // Interrupt-driven transmission: TXEIE raises the line while there is room.
  EXPECT_EQ(u.irq_lines(), 0u);
  u.write32(Usart::kCr1, Usart::kUe | Usart::kTe | Usart::kTxeIe);
  EXPECT_EQ(u.irq_lines(), 1u);
}

TEST(UsartModel, ReceivedBytesWaitInRdrWithRxneIdleAndOverrun) {
  Usart u(nullptr);
  const uint8_t abc[] = {'a', 'b', 'c'};
  EXPECT_FALSE(u.receive(abc));  // receiver off: nobody listens
  u.write32(Usart::kCr1, Usart::kUe | Usart::kRe | Usart::kRxneIe);
  EXPECT_TRUE(u.receiving());
  int changes = 0;
  u.set_irq_listener([&] { ++changes; });
  ASSERT_TRUE(u.receive(abc));
  EXPECT_GE(changes, 1);
  EXPECT_EQ(u.irq_lines(), 1u);
  EXPECT_NE(u.read32(Usart::kIsr) & (Usart::kRxne | Usart::kIdle), 0u);
  std::string got;
  while (u.read32(Usart::kIsr) & Usart::kRxne) got += static_cast<char>(u.read32(Usart::kRdr));
  EXPECT_EQ(got, "abc");
  EXPECT_EQ(u.irq_lines(), 0u);
  u.write32(Usart::kIcr, 1u << 4);  // IDLECF
  EXPECT_EQ(u.read32(Usart::kIsr) & Usart::kIdle, 0u);
  std::vector<uint8_t> flood(Usart::kReceiveFifo + 1, 'z');
  ASSERT_TRUE(u.receive(flood));
  EXPECT_NE(u.read32(Usart::kIsr) & Usart::kOre, 0u);
  u.write32(Usart::kRqr, 1u << 3);  // RXFRQ: flush
  EXPECT_EQ(u.read32(Usart::kIsr) & Usart::kRxne, 0u);
  u.write32(Usart::kIcr, 1u << 3);
  EXPECT_EQ(u.read32(Usart::kIsr) & Usart::kOre, 0u);
  u.reset();
  EXPECT_FALSE(u.receiving());
}

TEST(HsemModel, TwoStepAndOneStepTakeReleaseAndNotification) {
  Hsem h;
  constexpr uint32_t kMine = Hsem::kCoreId << Hsem::kLockIdShift;
  // Two steps: write, read back.
  h.write32(Hsem::kR + 4 * 3, 7 | kMine | Hsem::kPriv | Hsem::kLock);
  EXPECT_EQ(h.read32(Hsem::kR + 4 * 3), 7 | kMine | Hsem::kPriv | Hsem::kLock);
  // The hardware fills in its own LOCKID whatever was written.
  h.write32(Hsem::kR + 4 * 4, 1 | (1u << Hsem::kLockIdShift) | Hsem::kLock);
  EXPECT_EQ(h.read32(Hsem::kR + 4 * 4), 1 | kMine | Hsem::kLock);
  // Taken: a second take with another process id fails (the semaphore is unchanged).
  h.write32(Hsem::kR + 4 * 3, 8 | kMine | Hsem::kLock);
  EXPECT_EQ(h.read32(Hsem::kR + 4 * 3) & Hsem::kProcIdMask, 7u);
  // One step: reading RLR locks a free semaphore for process 0.
  EXPECT_EQ(h.read32(Hsem::kRlr + 4 * 5), Hsem::kLock | Hsem::kPriv | kMine);
  // Release with the wrong process id: still taken; with the right one: free + notified.
  h.write32(Hsem::kCxIer + Hsem::kCoreStride, 1u << 3);  // C2IER
  int changes = 0;
  h.set_irq_listener([&] { ++changes; });
  h.write32(Hsem::kR + 4 * 3, 8 | kMine);
  EXPECT_NE(h.read32(Hsem::kR + 4 * 3) & Hsem::kLock, 0u);
  EXPECT_EQ(h.irq_lines(), 0u);
  h.write32(Hsem::kR + 4 * 3, 7 | kMine);
  EXPECT_EQ(h.read32(Hsem::kR + 4 * 3), 0u);
  EXPECT_EQ(h.read32(Hsem::kCxIer + Hsem::kCoreStride + 8), 1u << 3);   // C2ISR
  EXPECT_EQ(h.read32(Hsem::kCxIer + Hsem::kCoreStride + 12), 1u << 3);  // C2MISR
  EXPECT_EQ(h.irq_lines(), 1u);
  h.write32(Hsem::kCxIer + Hsem::kCoreStride + 4, 1u << 3);  // C2ICR
  EXPECT_EQ(h.irq_lines(), 0u);
  EXPECT_GE(changes, 3);
  // Release all with the key: both remaining semaphores of core 2 go.
  h.write32(Hsem::kKeyr, 0x1234u << 16);
  h.write32(Hsem::kCr, (0x1111u << 16) | kMine);  // wrong key
  EXPECT_NE(h.read32(Hsem::kR + 4 * 4), 0u);
  h.write32(Hsem::kCr, (0x1234u << 16) | kMine);
  EXPECT_EQ(h.read32(Hsem::kR + 4 * 4), 0u);
  EXPECT_EQ(h.read32(Hsem::kR + 4 * 5), 0u);
}

TEST(TimerModel, UpdateEventsInVirtualTimeRaiseTheInterrupt) {
  Timer t(0x400);
  EXPECT_EQ(t.deadline(), MmioDevice::kNever);
  // HAL_InitTick on TIM6: 64 MHz / 64 = 1 MHz, ARR 999: an update every millisecond.
  t.advance(1000);
  t.write32(Timer::kPsc, 63);
  t.write32(Timer::kArr, 999);
  t.write32(Timer::kEgr, Timer::kUg);  // loads PSC, raises UIF
  EXPECT_EQ(t.read32(Timer::kSr), Timer::kUif);
  t.write32(Timer::kSr, 0);  // write 0 to clear
  t.write32(Timer::kDier, Timer::kUie);
  t.write32(Timer::kCr1, Timer::kCen);
  EXPECT_EQ(t.deadline(), 1000u + 64'000);
  EXPECT_EQ(t.irq_lines(), 0u);
  t.advance(1000 + 32'000);
  EXPECT_EQ(t.read32(Timer::kCnt), 500u);
  EXPECT_EQ(t.irq_lines(), 0u);
  t.advance(1000 + 64'000);
  EXPECT_EQ(t.irq_lines(), 1u);
  EXPECT_EQ(t.read32(Timer::kCnt), 0u);
  EXPECT_EQ(t.deadline(), 1000u + 128'000);
  t.write32(Timer::kSr, ~Timer::kUif);
  EXPECT_EQ(t.irq_lines(), 0u);
  // Several periods at once (a long sleep): one flag, the phase kept.
  t.advance(1000 + 64'000 * 5 + 10);
  EXPECT_EQ(t.irq_lines(), 1u);
  EXPECT_EQ(t.deadline(), 1000u + 64'000 * 6);
  // Stopped: the counter holds, no more events.
  t.write32(Timer::kCr1, 0);
  EXPECT_EQ(t.deadline(), MmioDevice::kNever);
  // One-pulse mode stops at the update.
  t.write32(Timer::kSr, 0);
  t.write32(Timer::kCnt, 0);
  t.write32(Timer::kCr1, Timer::kCen | Timer::kOpm);
  t.advance(1000 + 64'000 * 8);
  EXPECT_EQ(t.read32(Timer::kCr1) & Timer::kCen, 0u);
  EXPECT_EQ(t.read32(Timer::kSr), Timer::kUif);
}

TEST(ScbConfigModel, MpuSauAndFpuRegistersReadBack) {
  ScbConfig c;
  EXPECT_EQ(c.read(0xD90), 8u << 8);  // MPU_TYPE: 8 regions
  c.write(0xD98, 5);                  // RNR
  c.write(0xD9C, 0x80000000);         // RBAR of region 5
  c.write(0xDA0, 0x80FFFFE1);
  EXPECT_EQ(c.read(0xD9C), 0x80000000u);
  c.write(0xD98, 4);
  EXPECT_EQ(c.read(0xDA4), 0x80000000u);  // alias 1: region 4 + 1
  EXPECT_EQ(c.read(0xDD4), 8u);           // SAU_TYPE
  c.write(0xDD0, 1);
  EXPECT_EQ(c.read(0xDD0), 1u);
  EXPECT_EQ(c.read(ScbConfig::kFpccr), ScbConfig::kFpccrReset);
  EXPECT_EQ(c.read(0xF40), 0x10110021u);  // MVFR0: single-precision FPU
  EXPECT_FALSE(c.trace_enabled());
  c.write(ScbConfig::kDemcr, ScbConfig::kTrcEna);
  EXPECT_TRUE(c.trace_enabled());
  EXPECT_TRUE(ScbConfig::owns(0xEDF0 - 0xE000));
  EXPECT_FALSE(ScbConfig::owns(0xD08));  // VTOR is the SCS's own
}

TEST(DebugBlocksModel, CycleCounterCountsWhenEnabledAndTraced) {
  DebugBlocks d;
  EXPECT_EQ(d.read(DebugBlocks::kDwtCtrl, true, 0) >> 28, 4u);  // NUMCOMP
  d.write(DebugBlocks::kDwtCyccnt, 100, true, 1000);
  EXPECT_EQ(d.read(DebugBlocks::kDwtCyccnt, true, 5000), 100u);  // not enabled
  d.write(DebugBlocks::kDwtCtrl, DebugBlocks::kCycCntEna, true, 5000);
  EXPECT_EQ(d.read(DebugBlocks::kDwtCyccnt, true, 7000), 2100u);
  d.retime(true, 8000);  // TRCENA cleared: frozen
  EXPECT_EQ(d.read(DebugBlocks::kDwtCyccnt, false, 9000), 3100u);
  EXPECT_EQ(d.read(0x0000, true, 0), 0u);  // ITM: nothing
}

TEST(PeripheralModels, OnlyKnownCompatiblesAreModelledWithSecureAliases) {
  dt::PeripheralMap map;
  map.secure_alias = 0x10000000;
  map.peripherals = {{"UART4", 0x40100000, 0x10000, "st,stm32h7-uart", {126}, {}},
                     {"I2C1", 0x40120000, 0x10000, "", {}, {}},
                     {"UCPD1", 0x480a0000, 0x10000, "st,stm32mp25-ucpd", {229}, {}}};
  std::string seen;
  BoardOutputs outputs;
  outputs.serial = [&](const std::string& source, std::span<const uint8_t> bytes) {
    seen = source + ": " + std::string(bytes.begin(), bytes.end());
  };
  PeripheralModels models = make_peripheral_models(map, "m33", outputs);
  ASSERT_EQ(models.devices.size(), 1u);
  ASSERT_EQ(models.mappings.size(), 2u);
  EXPECT_EQ(models.mappings[0].name, "UART4");
  EXPECT_EQ(models.mappings[0].irqs, (std::vector<uint32_t>{126}));
  EXPECT_FALSE(models.mappings[0].alias);
  EXPECT_EQ(models.mappings[1].base, 0x50100000u);
  EXPECT_TRUE(models.mappings[1].alias);
  ASSERT_EQ(models.usarts.size(), 1u);
  models.usarts[0]->write32(Usart::kCr1, Usart::kUe | Usart::kTe);
  models.usarts[0]->write32(Usart::kTdr, 'A');
  EXPECT_EQ(seen, "m33 UART4: A");
  EXPECT_TRUE(has_model("st,stm32mp25-rcc"));
  EXPECT_FALSE(has_model("st,stm32mp25-ucpd"));
}

}  // namespace
}  // namespace rproctee::soc
