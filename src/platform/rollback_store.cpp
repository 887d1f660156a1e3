#include "platform/rollback_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"
#include "common/private_directory.hpp"
#include "crypto/hmac.hpp"

namespace rproctee::platform {

namespace {
constexpr uint32_t kMagic = 0x4B425252;  // "RRBK"
constexpr size_t kKeySize = 32;
constexpr uint64_t kMaxFile = 8 + 8 * 4096 + 32;  // 4096 processors is far beyond any SoC

/// A file of the state directory, opened relative to it without following a symlink. ENOENT
/// gives an empty result; anything but a regular file of ours with mode 0600 is refused.
Result<std::vector<uint8_t>> read_state_file(int dir, const std::string& dir_path, const char* name,
                                             uint64_t max_size) {
  const int fd = ::openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::vector<uint8_t>{};
    return make_error(TeeCode::kAccessDenied, "{}/{}: {}", dir_path, name, std::strerror(errno));
  }
  struct stat st {};
  std::vector<uint8_t> data;
  Status status;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status = make_error(TeeCode::kAccessDenied, "{}/{} is not a regular file", dir_path, name);
  } else if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    status = make_error(TeeCode::kAccessDenied,
                        "{}/{} (owner uid {}, mode {:04o}) must be owned by uid {} with mode 0600",
                        dir_path, name, st.st_uid, st.st_mode & 07777, ::geteuid());
  } else if (static_cast<uint64_t>(st.st_size) > max_size) {
    status = make_error(TeeCode::kCorruptObject, "{}/{} is {} bytes, more than the {} expected",
                        dir_path, name, st.st_size, max_size);
  } else {
    data.resize(static_cast<size_t>(st.st_size));
    if (::pread(fd, data.data(), data.size(), 0) != static_cast<ssize_t>(data.size()))
      status = make_error(TeeCode::kGeneric, "cannot read {}/{}", dir_path, name);
  }
  ::close(fd);
  if (!status) return std::move(status).error();
  return data;
}

/// Writes `name` atomically: a fresh temporary file (O_EXCL, no symlink followed: whatever was
/// planted under the temporary name is removed first, never written through), then renamed.
Status write_state_file(int dir, const std::string& dir_path, const std::string& name,
                        std::span<const uint8_t> data) {
  const std::string tmp = name + ".tmp";
  if (::unlinkat(dir, tmp.c_str(), 0) != 0 && errno != ENOENT)
    return make_error(TeeCode::kGeneric, "cannot remove {}/{}: {}", dir_path, tmp,
                      std::strerror(errno));
  const int fd =
      ::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(TeeCode::kGeneric, "cannot create {}/{}: {}", dir_path, tmp,
                      std::strerror(errno));
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::renameat(dir, tmp.c_str(), dir, name.c_str()) != 0) {
    ::unlinkat(dir, tmp.c_str(), 0);
    return make_error(TeeCode::kGeneric, "cannot write {}/{}", dir_path, name);
  }
  ::fsync(dir);  // the rename itself is durable
  return {};
}

}  // namespace

RollbackStore::RollbackStore(RollbackStore&& o) noexcept
    : directory_(std::move(o.directory_)),
      dir_fd_(std::exchange(o.dir_fd_, -1)),
      key_(std::move(o.key_)),
      versions_(std::move(o.versions_)),
      corrupt_(std::move(o.corrupt_)) {}

RollbackStore::~RollbackStore() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

Result<RollbackStore> RollbackStore::open(const std::string& directory) {
  RollbackStore s;
  s.directory_ = directory;
  if (directory.empty()) return s;
  RPROCTEE_ASSIGN(s.dir_fd_, open_private_directory(directory));
  auto read_key = read_state_file(s.dir_fd_, directory, "device.key", kKeySize + 1);
  if (!read_key) {  // a symlink, another owner, a readable mode: the store fails closed
    s.corrupt_ = read_key.error().message;
    return s;
  }
  std::vector<uint8_t>& key = *read_key;
  if (key.empty()) {
    // A new store: the key and an empty, authenticated counter file are created together, so
    // that a counter file missing later is noticed rather than read as "never loaded".
    auto existing = read_state_file(s.dir_fd_, directory, "rollback.bin", kMaxFile);
    if (!existing) {  // a symlink, another owner: not a first boot either
      s.corrupt_ = existing.error().message;
      return s;
    }
    if (!existing->empty()) {
      s.corrupt_ = "device.key is missing but rollback.bin exists";
      return s;
    }
    RPROCTEE_ASSIGN(s.key_, crypto::SecretBytes::random(kKeySize));
    RPROCTEE_CHECK(write_state_file(s.dir_fd_, directory, "device.key", s.key_.bytes()));
    RPROCTEE_CHECK(s.save());
    return s;
  }
  auto copied = crypto::SecretBytes::copy_of(key);
  crypto::cleanse(key);
  RPROCTEE_ASSIGN(s.key_, std::move(copied));
  if (s.key_.size() != kKeySize) {
    s.corrupt_ = fmt::format("device.key is {} bytes, not {}", s.key_.size(), kKeySize);
    return s;
  }
  auto file = read_state_file(s.dir_fd_, directory, "rollback.bin", kMaxFile);
  if (!file) {
    s.corrupt_ = file.error().message;
    return s;
  }
  if (file->empty()) {
    // The key exists, so the counters were written once: their absence is tampering.
    s.corrupt_ = "rollback.bin is missing or empty although device.key exists";
    return s;
  }
  // Layout: magic, count, {processor, version}*, HMAC-SHA256 of everything before it.
  ByteReader in(*file, "rollback.bin", TeeCode::kCorruptObject);
  auto magic = in.u32(0, "magic");
  auto count = in.u32(4, "count");
  if (!magic || !count || *magic != kMagic || file->size() != 8 + uint64_t{*count} * 8 + 32) {
    s.corrupt_ = "bad layout";
    return s;
  }
  const auto body = std::span(*file).first(file->size() - 32);
  const auto mac = crypto::hmac_sha256(s.key_.bytes(), body);
  if (!std::equal(mac.begin(), mac.end(), file->end() - 32)) {
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
  const auto mac = crypto::hmac_sha256(key_.bytes(), data);
  data.insert(data.end(), mac.begin(), mac.end());
  return write_state_file(dir_fd_, directory_, "rollback.bin", data);
}

}  // namespace rproctee::platform
