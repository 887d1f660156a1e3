#include "remoteproc/soc_link.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/scope_guard.hpp"
#include "teec/machine_connection.hpp"

namespace rproctee::remoteproc {

namespace {

void close_all(const std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
}

}  // namespace

Result<std::unique_ptr<SocLink>> SocLink::connect(const std::string& name) {
  std::unique_ptr<SocLink> link(new SocLink());
  RPROCTEE_ASSIGN(link->transport_, teec::connect_machine(name));
  RPROCTEE_CHECK(link->read_device_tree());
  RPROCTEE_CHECK(link->map_regions());
  return link;
}

// What the board hands Linux: the device tree without the secure world's settings. The
// normal world refuses one that still has them (it must never hold a key).
Status SocLink::read_device_tree() {
  protocol::Request r;
  r.kind = protocol::MessageKind::kGetDeviceTree;
  r.seq = ++seq_;
  std::vector<int> fds;
  RPROCTEE_ASSIGN(const protocol::Reply reply, transport_->call(r, {}, fds));
  ScopeGuard close_fds([&] { close_all(fds); });
  if (reply.code != 0)
    return make_error(static_cast<TeeCode>(reply.code), "the machine gave no device tree");
  const size_t size = reply.params[0].a;
  if (fds.size() != 1 || size == 0 || size > protocol::kMaxDeviceTree)
    return make_error(TeeCode::kCommunication,
                      "the machine sent {} descriptors for a device tree of {} bytes", fds.size(),
                      size);
  struct stat st {};
  if (::fstat(fds[0], &st) != 0 || static_cast<uint64_t>(st.st_size) < size)
    return make_error(TeeCode::kCommunication, "the device tree memfd is shorter than {} bytes",
                      size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fds[0], 0);
  if (p == MAP_FAILED) return make_error(TeeCode::kOutOfMemory, "cannot map the device tree");
  const auto* bytes = static_cast<const uint8_t*>(p);
  std::vector<uint8_t> blob(bytes, bytes + size);
  ::munmap(p, size);
  RPROCTEE_ASSIGN(const dt::DeviceTree tree,
                  dt::DeviceTree::from_blob(std::move(blob), "the machine's device tree"));
  if (!tree.find_compatible(dt::kSecureWorldCompatible).empty())
    return make_error(TeeCode::kSecurity,
                      "the machine's device tree still has its secure-world node: refusing it");
  RPROCTEE_ASSIGN(layout_, dt::parse_layout(tree));
  return {};
}

Status SocLink::map_regions() {
  protocol::Request r;
  r.kind = protocol::MessageKind::kMapRegions;
  r.seq = ++seq_;
  std::vector<int> fds;
  RPROCTEE_ASSIGN(const protocol::Reply reply, transport_->call(r, {}, fds));
  ScopeGuard close_fds([&] { close_all(fds); });
  if (fds.size() != reply.regions.size())
    return make_error(TeeCode::kCommunication, "the machine sent {} regions and {} descriptors",
                      reply.regions.size(), fds.size());
  for (size_t i = 0; i < fds.size(); ++i) {
    const protocol::RegionInfo& info = reply.regions[i];
    void* p = ::mmap(nullptr, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
    if (p == MAP_FAILED)
      return make_error(TeeCode::kOutOfMemory, "cannot map region {}", info.name);
    regions_.push_back(MappedRegion{info.name, info.pa, info.size, static_cast<uint8_t*>(p)});
  }
  return {};
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
  protocol::Request r;
  r.kind = protocol::MessageKind::kCoreControl;
  r.seq = ++seq_;
  r.session = processor;
  r.command = command;
  r.shm_size = boot_address;
  std::vector<int> fds;
  RPROCTEE_ASSIGN(const protocol::Reply reply, transport_->call(r, {}, fds));
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
