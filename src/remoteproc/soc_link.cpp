#include "remoteproc/soc_link.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include "tee/client/inprocess_registry.hpp"

namespace rproctee::remoteproc {

Result<std::unique_ptr<tee::Transport>> connect_machine(const std::string& name) {
  if (name.rfind("inproc:", 0) == 0) {
    tee::Machine* m = tee::find_inprocess_tee(name.substr(7));
    if (!m) return make_error(TeeCode::kItemNotFound, "no in-process machine {}", name);
    return tee::make_inprocess_transport(*m);
  }
  return tee::connect_socket_transport(name.rfind("unix:", 0) == 0 ? name.substr(5) : name);
}

Result<std::unique_ptr<SocLink>> SocLink::connect(const std::string& name) {
  std::unique_ptr<SocLink> link(new SocLink());
  RPROCTEE_ASSIGN(link->transport_, connect_machine(name));
  tee::Request r;
  r.kind = tee::MessageKind::kMapRegions;
  r.seq = ++link->seq_;
  std::vector<int> fds;
  RPROCTEE_ASSIGN(const tee::Reply reply, link->transport_->call(r, {}, fds));
  if (fds.size() != reply.regions.size()) {
    for (int fd : fds) ::close(fd);
    return make_error(TeeCode::kCommunication, "the machine sent {} regions and {} descriptors",
                      reply.regions.size(), fds.size());
  }
  for (size_t i = 0; i < fds.size(); ++i) {
    const tee::RegionInfo& info = reply.regions[i];
    void* p = ::mmap(nullptr, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
    ::close(fds[i]);
    if (p == MAP_FAILED)
      return make_error(TeeCode::kOutOfMemory, "cannot map region {}", info.name);
    link->regions_.push_back(MappedRegion{info.name, info.pa, info.size, static_cast<uint8_t*>(p)});
  }
  return link;
}

SocLink::~SocLink() {
  for (const MappedRegion& r : regions_) ::munmap(r.va, r.size);
}

const MappedRegion* SocLink::region(const std::string& name, uint64_t pa) const {
  for (const MappedRegion& r : regions_)
    if (r.name == name && r.pa == pa) return &r;
  return nullptr;
}

Status SocLink::core_control(uint32_t processor, uint32_t command, uint32_t boot_address) {
  std::lock_guard lock(mutex_);
  tee::Request r;
  r.kind = tee::MessageKind::kCoreControl;
  r.seq = ++seq_;
  r.session = processor;
  r.command = command;
  r.shm_size = boot_address;
  std::vector<int> fds;
  RPROCTEE_ASSIGN(const tee::Reply reply, transport_->call(r, {}, fds));
  for (int fd : fds) ::close(fd);
  if (reply.code != 0)
    return make_error(static_cast<TeeCode>(reply.code), "the SoC refused to {} processor {}",
                      command == 1 ? "start" : "stop", processor);
  return {};
}

Status SocLink::core_start(uint32_t processor, uint32_t boot_address) {
  return core_control(processor, 1, boot_address);
}

Status SocLink::core_stop(uint32_t processor) {
  return core_control(processor, 2, 0);
}

}  // namespace rproctee::remoteproc
