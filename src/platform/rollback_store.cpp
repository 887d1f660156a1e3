#include "platform/rollback_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"
#include "crypto/aes_cbc.hpp"
#include "crypto/hmac.hpp"

namespace rproctee::platform {

namespace {
constexpr uint32_t kMagic = 0x4B425252;  // "RRBK"

std::vector<uint8_t> read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

Status write_atomic(const std::filesystem::path& p, const std::vector<uint8_t>& data) {
  const auto tmp = p.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(TeeCode::kGeneric, "cannot write {}", tmp);
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), p.c_str()) != 0)
    return make_error(TeeCode::kGeneric, "cannot write {}", p.string());
  return {};
}
}  // namespace

RollbackStore::RollbackStore(RollbackStore&& o) noexcept
    : directory_(std::move(o.directory_)),
      key_(std::move(o.key_)),
      versions_(std::move(o.versions_)),
      corrupt_(std::move(o.corrupt_)) {}

Result<RollbackStore> RollbackStore::open(const std::string& directory) {
  RollbackStore s;
  s.directory_ = directory;
  if (directory.empty()) return s;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(directory, ec);
  const fs::path key_path = fs::path(directory) / "device.key";
  s.key_ = read_all(key_path);
  if (s.key_.empty()) {
    // A new store: the key and an empty, authenticated counter file are created together, so
    // that a counter file missing later is noticed rather than read as "never loaded".
    s.key_.resize(32);
    RPROCTEE_CHECK(crypto::random_bytes(s.key_));
    RPROCTEE_CHECK(write_atomic(key_path, s.key_));
    RPROCTEE_CHECK(s.save());
    return s;
  }
  const auto file = read_all(fs::path(directory) / "rollback.bin");
  if (file.empty()) {
    s.corrupt_ = "rollback.bin is missing or empty";
    return s;
  }
  // Layout: magic, count, {processor, version}*, HMAC-SHA256 of everything before it.
  ByteReader in(file, "rollback.bin", TeeCode::kCorruptObject);
  auto magic = in.u32(0, "magic");
  auto count = in.u32(4, "count");
  if (!magic || !count || *magic != kMagic || file.size() != 8 + uint64_t{*count} * 8 + 32) {
    s.corrupt_ = "bad layout";
    return s;
  }
  const auto body = std::span(file).first(file.size() - 32);
  const auto mac = crypto::hmac_sha256(s.key_, body);
  if (!std::equal(mac.begin(), mac.end(), file.end() - 32)) {
    s.corrupt_ = "HMAC mismatch";
    return s;
  }
  for (uint32_t i = 0; i < *count; ++i)
    s.versions_[*in.u32(8 + i * 8, "processor")] = *in.u32(12 + i * 8, "version");
  return s;
}

Result<uint32_t> RollbackStore::read(uint32_t processor) const {
  std::lock_guard lock(mutex_);
  if (!corrupt_.empty())
    return make_error(TeeCode::kCorruptObject,
                      "{}/rollback.bin cannot be trusted ({}): refusing to "
                      "load firmware under anti-rollback",
                      directory_, corrupt_);
  auto it = versions_.find(processor);
  return it == versions_.end() ? 0u : it->second;
}

Status RollbackStore::commit(uint32_t processor, uint32_t version) {
  std::lock_guard lock(mutex_);
  if (!corrupt_.empty())
    return make_error(TeeCode::kCorruptObject, "{}/rollback.bin cannot be trusted ({})", directory_,
                      corrupt_);
  uint32_t& stored = versions_[processor];
  if (version <= stored) return {};
  stored = version;
  return save();
}

Status RollbackStore::save() const {
  if (directory_.empty()) return {};
  ByteWriter w;
  w.u32(kMagic);
  w.u32(static_cast<uint32_t>(versions_.size()));
  for (const auto& [p, v] : versions_) {
    w.u32(p);
    w.u32(v);
  }
  auto data = w.take();
  const auto mac = crypto::hmac_sha256(key_, data);
  data.insert(data.end(), mac.begin(), mac.end());
  return write_atomic(std::filesystem::path(directory_) / "rollback.bin", data);
}

}  // namespace rproctee::platform
