// A raw pseudo-terminal with a symlink to its slave, as a board's serial line appears on a
// host: what a user writes to the link arrives byte for byte at the master (no echo, no line
// editing, no CR/LF translation), what is written to the master comes out of the link. The pty
// keeps its slave open itself, so the master never sees a hang-up between readers.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/result.hpp"

namespace rproctee {

class Pty {
 public:
  /// Opens a pty (master non-blocking) and links `link` to its slave (replacing a stale link).
  static Result<std::unique_ptr<Pty>> open(std::filesystem::path link);
  /// Removes the link (when it still points here) and closes the pty.
  ~Pty();
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  int master() const { return master_; }
  const std::string& slave_path() const { return slave_path_; }  // /dev/pts/N
  const std::filesystem::path& link() const { return link_; }
  /// Writes what fits into the terminal's buffer; the rest is dropped (nobody reads). Returns
  /// the bytes written.
  size_t write(const uint8_t* data, size_t size);

 private:
  explicit Pty(std::filesystem::path link) : link_(std::move(link)) {}
  std::filesystem::path link_;
  std::string slave_path_;
  int master_ = -1, slave_ = -1;
};

}  // namespace rproctee
