#include "crypto/secret_bytes.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace rproctee::crypto {

struct SecretBytes::Pages {
  uint8_t* data = nullptr;
  size_t size = 0;    // the secret's length
  size_t mapped = 0;  // whole pages
  bool locked = false;

  ~Pages() {
    if (!data) return;
    OPENSSL_cleanse(data, mapped);
    if (locked) ::syscall(SYS_munlock, data, mapped);
    ::munmap(data, mapped);
  }
};

Result<SecretBytes> SecretBytes::copy_of(std::span<const uint8_t> bytes) {
  auto pages = std::make_shared<Pages>();
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  pages->mapped = (std::max<size_t>(bytes.size(), 1) + page - 1) / page * page;
  void* p =
      ::mmap(nullptr, pages->mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return make_error(TeeCode::kOutOfMemory, "cannot map {} bytes for a secret: {}", pages->mapped,
                      std::strerror(errno));
  pages->data = static_cast<uint8_t*>(p);
  pages->size = bytes.size();
  // Out of core dumps and of children made by fork(); kept in RAM when the limit allows.
  ::madvise(p, pages->mapped, MADV_DONTDUMP);
  ::madvise(p, pages->mapped, MADV_WIPEONFORK);
  // The system call itself: ASan's mlock() interceptor does nothing and answers 0.
  pages->locked = ::syscall(SYS_mlock, p, pages->mapped) == 0;
  if (!bytes.empty()) std::memcpy(pages->data, bytes.data(), bytes.size());
  SecretBytes s;
  s.pages_ = std::move(pages);
  return s;
}

Result<SecretBytes> SecretBytes::random(size_t size) {
  RPROCTEE_ASSIGN(SecretBytes s, copy_of(std::vector<uint8_t>(size, 0)));
  if (RAND_priv_bytes(s.pages_->data, static_cast<int>(size)) != 1)
    return make_error(TeeCode::kGeneric, "the random generator failed");
  return s;
}

std::span<const uint8_t> SecretBytes::bytes() const {
  if (!pages_) return {};
  return {pages_->data, pages_->size};
}

bool SecretBytes::locked() const {
  return pages_ && pages_->locked;
}

void cleanse(std::span<uint8_t> bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

}  // namespace rproctee::crypto
