#include "rpmsg/tty_bridge.hpp"

#include <algorithm>

#include "rpmsg/tty_port.hpp"

namespace rproctee::rpmsg {

TtyBridge::TtyBridge(std::filesystem::path dir) : dev_dir_(std::move(dir) / "dev") {
  std::error_code ec;
  std::filesystem::create_directories(dev_dir_, ec);
}

TtyBridge::~TtyBridge() {
  for (auto& unsubscribe : unsubscribers_) unsubscribe();  // no callback runs after this
  std::vector<std::unique_ptr<TtyPort>> ports;
  {
    std::lock_guard lock(mutex_);
    ports.swap(ports_);
  }
}

bool TtyBridge::is_tty_channel(std::string_view name) {
  return name == "rpmsg-tty" || name == "rpmsg-tty-channel";
}

std::unique_ptr<TtyBridge> TtyBridge::on_bus(Bus& bus, std::filesystem::path dir) {
  auto bridge = std::make_unique<TtyBridge>(std::move(dir));
  TtyBridge* self = bridge.get();
  Bus::Observer o;
  o.channel_added = [self](remoteproc::Rproc&, const std::shared_ptr<Channel>& c) {
    (void)self->add(c);  // a failure was logged by nobody: the tty simply does not appear
  };
  o.channel_removed = [self](remoteproc::Rproc&, const std::shared_ptr<Channel>& c) {
    self->remove(*c);
  };
  const uint64_t id = bus.subscribe(std::move(o));
  bridge->unsubscribers_.push_back([&bus, id] { bus.unsubscribe(id); });
  for (const auto& attached : bus.devices())
    for (const auto& c : attached.device->channels()) (void)bridge->add(c);
  return bridge;
}

void TtyBridge::watch(const std::shared_ptr<RpmsgDevice>& device) {
  RpmsgDevice::ChannelObserver o;
  o.added = [this](const std::shared_ptr<Channel>& c) { (void)add(c); };
  o.removed = [this](const std::shared_ptr<Channel>& c) { remove(*c); };
  const uint64_t id = device->subscribe(std::move(o));
  std::weak_ptr<RpmsgDevice> weak = device;
  {
    std::lock_guard lock(mutex_);
    unsubscribers_.push_back([weak, id] {
      if (auto d = weak.lock()) d->unsubscribe(id);
    });
  }
  for (const auto& c : device->channels()) (void)add(c);
}

SysStatus TtyBridge::add(const std::shared_ptr<Channel>& channel) {
  if (!is_tty_channel(channel->name()) || channel->closed()) return {};
  std::lock_guard lock(mutex_);
  unsigned index = 0;
  for (;; ++index) {
    const bool used = std::any_of(ports_.begin(), ports_.end(),
                                  [&](const auto& p) { return p->index() == index; });
    if (!used) break;
  }
  for (const auto& p : ports_)
    if (&p->channel() == channel.get()) return {};  // already bridged
  RPROCTEE_ASSIGN(auto port,
                  TtyPort::open(channel, index, dev_dir_ / ("ttyRPMSG" + std::to_string(index))));
  ports_.push_back(std::move(port));
  return {};
}

void TtyBridge::remove(const Channel& channel) {
  std::unique_ptr<TtyPort> port;
  {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(ports_.begin(), ports_.end(),
                           [&](const auto& p) { return &p->channel() == &channel; });
    if (it == ports_.end()) return;
    port = std::move(*it);
    ports_.erase(it);
  }
  // Destroyed here, without the lock: joins the forwarding thread.
}

std::vector<TtyBridge::Tty> TtyBridge::ttys() const {
  std::lock_guard lock(mutex_);
  std::vector<Tty> out;
  for (const auto& p : ports_)
    out.push_back({p->link(), p->pty(), p->channel().name(), p->channel().local_addr(),
                   p->channel().remote_addr(), p->to_remote_bytes(), p->from_remote_bytes(),
                   p->dropped_bytes()});
  std::sort(out.begin(), out.end(), [](const Tty& a, const Tty& b) { return a.link < b.link; });
  return out;
}

}  // namespace rproctee::rpmsg
