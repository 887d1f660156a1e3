// The mainline ELF backend (remoteproc_elf_loader.c): the normal world loads the ELF itself
// into the memories it maps, without authentication, and drives the processor's reset line.
// For processors described without the TEE binding; it shows what the TEE adds.
#pragma once

#include "remoteproc/rproc.hpp"
#include "remoteproc/soc_link.hpp"

namespace rproctee::remoteproc {

class ElfBackend final : public RprocOps {
 public:
  ElfBackend(SocLink& soc, uint32_t processor_index, uint32_t boot_address)
      : soc_(soc), processor_(processor_index), boot_address_(boot_address) {}

  int parse_fw(Rproc& rproc, const Firmware& fw) override;
  int load(Rproc& rproc, const Firmware& fw) override;
  int find_loaded_rsc_table(Rproc& rproc, const Firmware& fw, uint8_t*& table) override;
  int start(Rproc& rproc) override;
  int stop(Rproc& rproc) override;

 private:
  SocLink& soc_;
  uint32_t processor_;
  uint32_t boot_address_;
  uint64_t table_da_ = 0, table_size_ = 0;
};

}  // namespace rproctee::remoteproc
