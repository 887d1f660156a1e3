// `rproctee coredump-open`: turns a sealed core dump (a processor whose secure-world entry says
// coredump = "sealed") into a plain ELF core with every region, using the debug private key
// the dump was sealed to. gdb-multiarch opens the result next to the firmware ELF.
// Exit 0 opened, 1 failure (wrong key, changed dump, not a sealed core), 2 usage.
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/file_io.hpp"
#include "crypto/keys.hpp"
#include "image/sealed_core_open.hpp"

namespace rproctee::cli {

namespace {

// An ELF32 core of a remote processor is far smaller (the regions of one processor).
constexpr uint64_t kMaxDumpSize = uint64_t{1} << 30;

Result<std::vector<uint8_t>> read_dump(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) > kMaxDumpSize)
    return make_error(TeeCode::kBadParameters, "{} is {} bytes, more than the {}-byte limit", path,
                      st.st_size, kMaxDumpSize);
  return read_file(path);
}

}  // namespace

int coredump_open_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Open a sealed core dump with the debug private key it was sealed to: the firewalled "
      "regions are decrypted and authenticated (AES-256-GCM), and the result is a plain ELF "
      "core (every region, the registers) for gdb-multiarch.",
      prog);
  std::string dump_path, key_path;
  std::optional<std::string> out, key_pwd;
  app.add_option("dump", dump_path, "The sealed core (a devcoredump data file, GET_COREDUMP)")
      ->required()
      ->check(CLI::ExistingFile)
      ->type_name("SEALED.core");
  app.add_option("--key", key_path, "Debug private key (PEM or DER, RSA or P-256)")
      ->required()
      ->check(CLI::ExistingFile)
      ->type_name("KEY.pem");
  app.add_option("--key-pwd,--key_pwd", key_pwd, "Passphrase of an encrypted private key");
  app.add_option("--out", out, "Write the plain core to FILE (default: stdout)")->type_name("FILE");
  if (auto code = parse_args(app, std::move(argv))) return *code;
  if (!out && ::isatty(STDOUT_FILENO))
    return usage_error(prog, "the plain core is binary: give --out FILE or redirect stdout");

  auto key = crypto::PrivateKey::load_file(key_path, key_pwd);
  if (!key) return print_error(prog, key.error()), kExitFailure;
  auto dump = read_dump(dump_path);
  if (!dump) return print_error(prog, dump.error()), kExitFailure;
  auto opened = image::open_sealed_coredump(*dump, dump_path, *key, key_path);
  if (!opened) return print_error(prog, opened.error()), kExitFailure;

  const Status written = out ? write_file_atomic(*out, opened->elf, 0600)  // secrets inside
                             : write_stdout(opened->elf);
  if (!written) return print_error(prog, written.error()), kExitFailure;
  uint64_t sealed_bytes = 0;
  for (const auto& r : opened->sealed.regions) sealed_bytes += r.size;
  std::cerr << fmt::format(
      "{}: {}: {} sealed region(s), {} bytes, opened with {} ({}, SHA256:{}); plain core of {} "
      "bytes written to {}\n",
      prog, dump_path, opened->sealed.regions.size(), sealed_bytes, key_path,
      crypto::key_wrapping_name(opened->sealed.wrapping), opened->sealed.recipient,
      opened->elf.size(), out ? *out : std::string("stdout"));
  return kExitOk;
}

}  // namespace rproctee::cli
