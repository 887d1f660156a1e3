// openssl_sign_floor: the least a process does to sign a small file with OpenSSL, for
// bench/run.sh as the floor of the small `rproctee sign`: load libcrypto, decode a PEM private
// key (PEM_read_PrivateKey, OpenSSL's own decoder set-up), read the file and make one
// SHA-256 signature of it (RSA PKCS#1 v1.5, or ECDSA for an EC key, as `rproctee sign` does).
// Nothing is written; exit status 1 when any step fails, so that a failure is not timed.
//
//   rproctee_openssl_sign_floor KEY.pem FILE
//
// C stdio, no iostream; linked like `rproctee` (libstdc++ built in), so that the two start alike.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <vector>

namespace {

bool read_whole(const char* path, std::vector<unsigned char>& out) {
  std::FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  unsigned char chunk[1 << 16];
  size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) out.insert(out.end(), chunk, chunk + n);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: rproctee_openssl_sign_floor KEY.pem FILE\n");
    return 2;
  }
  std::FILE* key_file = std::fopen(argv[1], "rb");
  EVP_PKEY* key = key_file ? PEM_read_PrivateKey(key_file, nullptr, nullptr, nullptr) : nullptr;
  if (key_file) std::fclose(key_file);
  std::vector<unsigned char> data;
  if (!key || !read_whole(argv[2], data)) {
    std::fprintf(stderr, "rproctee_openssl_sign_floor: cannot read %s or %s\n", argv[1], argv[2]);
    return 1;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char signature[1024];
  size_t length = sizeof signature;
  const bool signed_ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                         EVP_DigestSign(ctx, signature, &length, data.data(), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!signed_ok) {
    std::fprintf(stderr, "rproctee_openssl_sign_floor: signing failed\n");
    return 1;
  }
  return 0;
}
