#include "remoteproc/elf_backend.hpp"

#include <cerrno>
#include <cstring>

#include "image/elf32.hpp"
#include "image/load_plan.hpp"

namespace rproctee::remoteproc {

int ElfBackend::parse_fw(Rproc& rproc, const Firmware& fw) {
  auto view = image::Elf32View::parse(fw.data, fw.name);
  if (!view) {
    rproc.info("Image is corrupted: {}", view.error().message);
    return -EINVAL;
  }
  const std::span<const image::Elf32View> views(&*view, 1);
  auto plan = image::plan_unsigned(views);
  if (!plan) {
    rproc.info("{}", plan.error().message);
    return -EINVAL;
  }
  auto location = image::locate_resource_table(views, *plan);
  if (!location) {
    rproc.info("{}", location.error().message);
    return -EINVAL;
  }
  table_da_ = table_size_ = 0;
  if (!*location) return 0;
  table_da_ = (*location)->address;
  table_size_ = (*location)->size;
  const auto bytes = std::span(fw.data).subspan((*location)->file_offset, (*location)->size);
  rproc.set_cached_table(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  return 0;
}

int ElfBackend::load(Rproc& rproc, const Firmware& fw) {
  auto view = image::Elf32View::parse(fw.data, fw.name);
  if (!view) return -EINVAL;
  for (const image::Elf32Phdr& p : view->phdrs()) {
    if (p.type != image::elf::kPtLoad || p.memsz == 0) continue;
    uint8_t* va = rproc.da_to_va(p.paddr, p.memsz);
    if (!va) {
      rproc.info("bad phdr da {:#x} mem {:#x}: not in memory the normal world maps", p.paddr,
                 p.memsz);
      return -EINVAL;
    }
    auto bytes = view->segment_bytes(p);
    if (!bytes || p.filesz > p.memsz) return -EINVAL;
    std::memcpy(va, bytes->data(), bytes->size());
    std::memset(va + p.filesz, 0, p.memsz - p.filesz);
  }
  return 0;
}

int ElfBackend::find_loaded_rsc_table(Rproc& rproc, const Firmware&, uint8_t*& table) {
  table = table_size_ ? rproc.da_to_va(table_da_, table_size_) : nullptr;
  return table_size_ && !table ? -EINVAL : 0;
}

int ElfBackend::start(Rproc& rproc) {
  if (auto s = soc_.core_start(processor_, boot_address_); !s) {
    rproc.info("{}", s.error().message);
    return -EIO;
  }
  return 0;
}

int ElfBackend::stop(Rproc& rproc) {
  if (auto s = soc_.core_stop(processor_); !s) {
    rproc.info("{}", s.error().message);
    return -EIO;
  }
  return 0;
}

}  // namespace rproctee::remoteproc
