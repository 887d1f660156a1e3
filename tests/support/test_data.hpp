// Where the test data lives, and small file helpers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rproctee::test {

/// tests/data/vectors (the generated vectors copied into the project).
std::filesystem::path vectors_dir();
/// ../shared/vectors (vendor files: real/, keys/st_*, signed/st_*); may be absent.
std::filesystem::path shared_vectors_dir();
/// True when ../shared/vectors exists (tests that need it GTEST_SKIP() otherwise).
bool have_shared_vectors();
/// The rproctee binary under test.
std::string rproctee_binary();

std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& data);
/// The bytes of `text` (no copy).
inline std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

/// A fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// One row of vectors/manifest.tsv.
struct VectorRow {
  std::string name, script;
  bool deterministic = false;
  std::string verify_key;
  std::vector<std::string> args;  // signer arguments, paths relative to the vectors folder
  bool vendor() const { return name.rfind("st_", 0) == 0; }  // needs ../shared
};
std::vector<VectorRow> vector_rows();
/// GoogleTest prints a row by its name.
inline void PrintTo(const VectorRow& row, std::ostream* os) {
  *os << row.name;
}

}  // namespace rproctee::test
