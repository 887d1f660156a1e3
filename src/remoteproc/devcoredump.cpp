#include "remoteproc/devcoredump.hpp"

namespace rproctee::remoteproc {

namespace {
constexpr size_t kKept = 8;
}

int DevcoredumpStore::publish(const std::string& device, std::vector<uint8_t> data) {
  std::lock_guard lock(mutex_);
  const int n = next_++;
  dumps_[n] = Entry{device, std::make_shared<const std::vector<uint8_t>>(std::move(data)), false};
  while (dumps_.size() > kKept) dumps_.erase(dumps_.begin());
  cv_.notify_all();
  return n;
}

std::shared_ptr<const std::vector<uint8_t>> DevcoredumpStore::get(int n) const {
  std::lock_guard lock(mutex_);
  auto it = dumps_.find(n);
  return it == dumps_.end() ? nullptr : it->second.data;
}

std::string DevcoredumpStore::device(int n) const {
  std::lock_guard lock(mutex_);
  auto it = dumps_.find(n);
  return it == dumps_.end() ? "" : it->second.device;
}

void DevcoredumpStore::consumed(int n) {
  std::lock_guard lock(mutex_);
  if (auto it = dumps_.find(n); it != dumps_.end()) it->second.consumed = true;
  cv_.notify_all();
}

bool DevcoredumpStore::dismiss(int n) {
  std::lock_guard lock(mutex_);
  const bool found = dumps_.erase(n) > 0;
  cv_.notify_all();
  return found;
}

std::vector<int> DevcoredumpStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<int> out;
  for (const auto& [n, e] : dumps_) out.push_back(n);
  return out;
}

bool DevcoredumpStore::wait_consumed(const std::string& device, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  int newest = 0;
  for (const auto& [n, e] : dumps_)
    if (e.device == device) newest = n;
  if (newest == 0) return true;
  return cv_.wait_for(lock, timeout, [&] {
    auto it = dumps_.find(newest);
    return it == dumps_.end() || it->second.consumed;
  });
}

}  // namespace rproctee::remoteproc
