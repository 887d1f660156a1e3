// Shared by the core-dump policy tests (tests/tee, tests/image, tests/remoteproc, tests/cli):
// a firmware whose firewalled segments carry known marker bytes, platform sources with a
// coredump policy, and readers of the ELF core files the secure world hands out.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "image/elf32.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"
#include "ta_attack_support.hpp"

namespace rproctee::test::coredump {

using Bytes = std::vector<uint8_t>;

inline constexpr uint32_t kCodeDa = 0x80100000;   // cm33-firmware (firewalled)
inline constexpr uint32_t kDataDa = 0x80a00000;   // cm33-data (firewalled)
inline constexpr uint32_t kTableDa = 0x81200000;  // ipc-shmem (non-secure)
inline constexpr uint32_t kMarkerOffset = 0x100;  // of each marker in its segment

/// 64 bytes that appear nowhere else: the secret a dump must not leak.
inline Bytes marker(const std::string& which) {
  std::string s = "RPROCTEE-SECRET-" + which + "-";
  while (s.size() < 64) s += static_cast<char>('a' + s.size() % 26);
  return Bytes(s.begin(), s.end());
}
inline Bytes code_marker() {
  return marker("CODE");
}
inline Bytes data_marker() {
  return marker("DATA");
}

/// A firmware for the STM32MP25 preset: code (vector table, a `wfi` loop as reset handler,
/// the code marker at +0x100) in cm33-firmware, data (the data marker at +0x100, .bss after)
/// in cm33-data, the normal-world resource table in ipc-shmem. Every segment size is a
/// multiple of 16 (ST encryption).
inline Bytes marker_elf() {
  Bytes code(0x400, 0x11);
  const uint32_t sp = 0x80E00000, pc = kCodeDa + 0x41;
  for (int i = 0; i < 4; ++i) {
    code[static_cast<size_t>(i)] = static_cast<uint8_t>(sp >> (8 * i));
    code[static_cast<size_t>(4 + i)] = static_cast<uint8_t>(pc >> (8 * i));
  }
  const uint8_t loop[] = {0x30, 0xbf, 0xfd, 0xe7};  // wfi; b.n -4
  std::copy(std::begin(loop), std::end(loop), code.begin() + 0x40);
  const Bytes cm = code_marker();
  std::copy(cm.begin(), cm.end(), code.begin() + kMarkerOffset);
  Bytes data(0x200, 0x22);
  const Bytes dm = data_marker();
  std::copy(dm.begin(), dm.end(), data.begin() + kMarkerOffset);
  Bytes table = normal_world_resource_table();
  const auto table_size = static_cast<uint32_t>(table.size());
  table.resize((table.size() + 15) / 16 * 16, 0);

  ElfBuilder b;
  b.entry(pc);
  const size_t text = b.add_segment({.paddr = kCodeDa, .data = code, .flags = 5});
  b.add_section({.name = ".text", .flags = 6, .segment = text, .size = 0x400});
  b.add_segment({.paddr = kDataDa, .data = data, .memsz = 0x1000, .flags = 6});
  const size_t rsc = b.add_segment({.paddr = kTableDa, .data = table, .flags = 6});
  b.add_section({.name = ".resource_table", .segment = rsc, .size = table_size});
  return b.build();
}

/// ST's published AES-256 test key for encrypted firmware (../shared/vectors), if present.
inline std::optional<Bytes> st_aes_key() {
  const auto path = shared_vectors_dir() / "keys" / "st_rproc_enc_test_key.bin";
  if (!std::filesystem::exists(path)) return std::nullopt;
  return read_bytes(path);
}

/// marker_elf() signed with the rsa2048 test key; encrypted with `aes` when given.
inline Bytes marker_image(const std::optional<Bytes>& aes = std::nullopt) {
  SignOptions options;
  options.enc_key = aes;
  return sign_elfs({marker_elf()}, test_key("rsa2048"), options);
}

/// The STM32MP25 preset source, with `policy` ("" keeps the default) and `key_file` (an
/// absolute path, or relative to the repository root) for remoteproc-0. The development key
/// is referenced by absolute path, so the source compiles from any folder.
inline std::string policy_dts(const std::string& policy, const std::string& key_file = "") {
  std::string extra;
  if (!policy.empty()) extra += fmt::format("\n\t\t\tcoredump = \"{}\";", policy);
  if (!key_file.empty()) extra += fmt::format("\n\t\t\tcoredump-key = /incbin/(\"{}\");", key_file);
  std::string dtsi = ta_attack::stm32mp25_dtsi();
  dtsi = ta_attack::replace_once(dtsi, "rollback-tlv = <0x10003>;",
                                 "rollback-tlv = <0x10003>;" + extra);
  dtsi = ta_attack::replace_once(
      dtsi, "/incbin/(\"keys/rproctee-dev.pub.pem\")",
      fmt::format("/incbin/(\"{}\")",
                  (ta_attack::repo_root() / "keys" / "rproctee-dev.pub.pem").string()));
  // The machine compiles the file from its own folder: the peripheral map by its full path.
  dtsi = ta_attack::replace_once(
      dtsi, "/include/ \"stm32mp25-peripherals.dtsi\"",
      fmt::format("/include/ \"{}\"",
                  (ta_attack::repo_root() / "platforms" / "stm32mp25-peripherals.dtsi").string()));
  return ta_attack::dts_from(dtsi, "rproctee coredump policy test");
}

/// A test key of tests/data/vectors/keys as a path (`name`.pem or `name`.pub.pem).
inline std::string key_path(const std::string& name, bool pub) {
  return (vectors_dir() / "keys" / (name + (pub ? ".pub.pem" : ".pem"))).string();
}

/// A machine config with the policy (the sealed debug key: a test key's public half).
inline MachineConfig policy_config(const std::string& policy, const std::string& debug_key = "",
                                   const std::optional<Bytes>& aes = std::nullopt) {
  MachineConfig config;
  config.dts = policy_dts(policy, debug_key.empty() ? "" : key_path(debug_key, true));
  config.aes_key = aes;
  return config;
}

inline bool contains(const Bytes& haystack, const Bytes& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

/// The PT_LOADs of an ELF core as (address, size), and the bytes at an address.
struct Core {
  Bytes file;
  std::vector<image::Elf32Phdr> loads;
  std::vector<image::Elf32Section> sections;

  static Core parse(const Bytes& file) {
    Core c;
    c.file = file;
    auto view = image::Elf32View::parse(c.file, "core");
    EXPECT_TRUE(view) << (view ? "" : view.error().message);
    if (!view) return c;
    EXPECT_EQ(view->header().type, image::elf::kTypeCore);
    EXPECT_EQ(view->header().machine, image::elf::kMachineArm);
    for (const auto& ph : view->phdrs())
      if (ph.type == image::elf::kPtLoad) c.loads.push_back(ph);
    auto sections = view->sections();
    EXPECT_TRUE(sections) << (sections ? "" : sections.error().message);
    if (sections) c.sections = *sections;
    return c;
  }
  /// True when a PT_LOAD covers any byte of [da, da + size).
  bool covers_any(uint64_t da, uint64_t size) const {
    return std::any_of(loads.begin(), loads.end(), [&](const image::Elf32Phdr& p) {
      return da < uint64_t{p.paddr} + p.filesz && p.paddr < da + size;
    });
  }
  /// The `size` bytes at device address `da` (empty when no single PT_LOAD holds them).
  Bytes at(uint64_t da, size_t size) const {
    for (const auto& p : loads)
      if (da >= p.paddr && da + size <= uint64_t{p.paddr} + p.filesz) {
        const size_t off = p.offset + static_cast<size_t>(da - p.paddr);
        return Bytes(file.begin() + static_cast<long>(off),
                     file.begin() + static_cast<long>(off + size));
      }
    return {};
  }
  bool has_section(const std::string& name) const {
    return std::any_of(sections.begin(), sections.end(),
                       [&](const image::Elf32Section& s) { return s.name == name; });
  }
};

/// GET_COREDUMP through the client (SHORT_BUFFER round first).
inline Bytes get_coredump(RprocClient& c) {
  Bytes out;
  const TEEC_Result r = c.coredump(out);
  EXPECT_EQ(r, TEEC_SUCCESS) << c.last_error();
  return out;
}

}  // namespace rproctee::test::coredump
