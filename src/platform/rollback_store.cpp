#include "platform/rollback_store.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/file.h>
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
// The key of a first boot until its counters are written.
constexpr const char* kPendingKey = "device.key.new";

/// Whether the counter file's last 32 bytes are the HMAC-SHA256 of the rest under `key`.
bool authentic(std::span<const uint8_t> file, std::span<const uint8_t> key) {
  if (file.size() < 32) return false;
  const auto mac = crypto::hmac_sha256(key, file.first(file.size() - 32));
  return CRYPTO_memcmp(mac.data(), file.data() + file.size() - 32, 32) == 0;
}

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
  if (::fsync(dir) != 0)  // the rename itself is durable
    return make_error(TeeCode::kGeneric, "cannot write {}/{}: {}", dir_path, name,
                      std::strerror(errno));
  return {};
}

/// Renames `from` to `to` in the directory, durably.
Status rename_state_file(int dir, const std::string& dir_path, const char* from, const char* to) {
  if (::renameat(dir, from, dir, to) != 0 || ::fsync(dir) != 0)
    return make_error(TeeCode::kGeneric, "cannot rename {}/{} to {}: {}", dir_path, from, to,
                      std::strerror(errno));
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
  // One machine per directory: each keeps the counters in memory and rewrites the whole file,
  // so a second one would roll back the first one's commits.
  if (::flock(s.dir_fd_, LOCK_EX | LOCK_NB) != 0)
    return make_error(TeeCode::kBusy,
                      "state directory {} is in use by another machine ({}): refusing to share "
                      "its anti-rollback counters",
                      directory, std::strerror(errno));
  // A symlink, another owner, a readable mode: the store fails closed.
  auto key = read_state_file(s.dir_fd_, directory, "device.key", kKeySize + 1);
  if (!key) return s.distrust(key.error().message);
  auto file = read_state_file(s.dir_fd_, directory, "rollback.bin", kMaxFile);
  if (!file) return s.distrust(file.error().message);
  if (key->empty() && file->empty()) {
    // A new store: the key and an empty, authenticated counter file, so that a counter file
    // missing later is noticed rather than read as "never loaded". The key gets its name last
    // (a first boot cut short before the counters is a first boot again next time).
    RPROCTEE_ASSIGN(s.key_, crypto::SecretBytes::random(kKeySize));
    RPROCTEE_CHECK(write_state_file(s.dir_fd_, directory, kPendingKey, s.key_.bytes()));
    RPROCTEE_CHECK(s.save(s.versions_));
    RPROCTEE_CHECK(rename_state_file(s.dir_fd_, directory, kPendingKey, "device.key"));
    return s;
  }
  if (key->empty()) {
    // Counters without a key: a first boot cut short before the key got its name (finished
    // here), or tampering (a new key would make the old counters unreadable: a reset).
    auto pending = read_state_file(s.dir_fd_, directory, kPendingKey, kKeySize + 1);
    if (!pending || pending->size() != kKeySize || !authentic(*file, *pending))
      return s.distrust("device.key is missing but rollback.bin exists");
    RPROCTEE_CHECK(rename_state_file(s.dir_fd_, directory, kPendingKey, "device.key"));
    key = std::move(pending);
  }
  auto copied = crypto::SecretBytes::copy_of(*key);
  crypto::cleanse(*key);
  RPROCTEE_ASSIGN(s.key_, std::move(copied));
  if (s.key_.size() != kKeySize)
    return s.distrust(fmt::format("device.key is {} bytes, not {}", s.key_.size(), kKeySize));
  // The key exists, so the counters were written once: their absence is tampering.
  if (file->empty())
    return s.distrust("rollback.bin is missing or empty although device.key exists");
  // Layout: magic, count, {processor, version}*, HMAC-SHA256 of everything before it.
  ByteReader in(*file, "rollback.bin", TeeCode::kCorruptObject);
  auto magic = in.u32(0, "magic");
  auto count = in.u32(4, "count");
  if (!magic || !count || *magic != kMagic || file->size() != 8 + uint64_t{*count} * 8 + 32)
    return s.distrust("bad layout");
  if (!authentic(*file, s.key_.bytes())) return s.distrust("HMAC mismatch");
  for (uint32_t i = 0; i < *count; ++i)
    s.versions_[*in.u32(8 + i * 8, "processor")] = *in.u32(12 + i * 8, "version");
  return s;
}

RollbackStore RollbackStore::distrust(std::string why) {
  corrupt_ = std::move(why);
  return std::move(*this);
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
  const auto it = versions_.find(processor);
  if (version <= (it == versions_.end() ? 0 : it->second)) return {};
  // Kept only once stored: a commit that failed to write is tried again by the next one,
  // never taken for done while the file still holds the old version.
  auto raised = versions_;
  raised[processor] = version;
  RPROCTEE_CHECK(save(raised));
  versions_ = std::move(raised);
  return {};
}

Status RollbackStore::save(const std::map<uint32_t, uint32_t>& versions) const {
  if (directory_.empty()) return {};
  ByteWriter w;
  w.u32(kMagic);
  w.u32(static_cast<uint32_t>(versions.size()));
  for (const auto& [p, v] : versions) {
    w.u32(p);
    w.u32(v);
  }
  auto data = w.take();
  const auto mac = crypto::hmac_sha256(key_.bytes(), data);
  data.insert(data.end(), mac.begin(), mac.end());
  return write_state_file(dir_fd_, directory_, "rollback.bin", data);
}

}  // namespace rproctee::platform
