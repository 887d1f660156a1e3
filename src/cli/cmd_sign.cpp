// `rproctee sign` (and the `sign_rproc_fw.py` personality): the reference signer's semantics,
// byte-identical output for RSA keys, atomic output file.
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "cli/file_io.hpp"
#include "cli/key_source.hpp"
#include "cli/signer_args.hpp"
#include "crypto/signature.hpp"
#include "image/builder.hpp"

namespace rproctee::cli {

int sign_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Sign remote-processor firmware ELF files into an OP-TEE signed image.\n"
      "Same options and output bytes as OP-TEE's (and ST's) sign_rproc_fw.py; long "
      "options may be abbreviated to a unique prefix.",
      prog);
  SignerArgs args;
  bool force = false;
  bool verbose = false;
  add_signer_options(app, args,
                     "Private signing key: a PEM or DER file, or a key in a PKCS#11 token "
                     "('pkcs11:token=...;object=...'); RSA >= 2048 bits or EC P-256");
  app.add_option("--out", args.out, "Signed image to write (atomically)")
      ->required()
      ->type_name("FILE");
  app.add_flag("--force", force,
               "Sign even when the trusted application would reject the result (overlapping "
               "segments, bad resource table, bad BOOTADDR)");
  app.add_flag("-v,--verbose", verbose, "Print a summary of the signed image on stderr");
  if (auto code = parse_args(app, std::move(argv))) return *code;

  auto signer = load_signer(args.key, args.key_pwd, args.pkcs11_module);
  if (!signer) return print_error(prog, signer.error()), kExitFailure;
  bool usage = false;
  auto resolved = resolve_signer_args(args, signer->public_key(), usage);
  if (!resolved) {
    if (usage) return usage_error(prog, resolved.error().message);
    return print_error(prog, resolved.error()), kExitFailure;
  }

  const image::BuildParams& params = resolved->params;
  if (auto s = check_for_ta(params, force,
                            "the trusted application would reject this image; --force signs anyway",
                            prog);
      !s)
    return print_error(prog, s.error()), kExitFailure;
  // The images go to the output file on a second thread while they are hashed; the header,
  // TLVs and signature in front of them once signed. The image is declared before the writer
  // so that it outlives the writer's thread (an encrypted image's bytes are the image's own).
  std::optional<image::UnsignedImage> unsigned_image;
  auto output = AtomicFileWriter::create(args.out, 0644);
  if (!output) return print_error(prog, output.error()), kExitFailure;
  auto built = image::build_unsigned(params, [&output](const image::UnsignedImage& laid_out) {
    (*output)->write_in_background(laid_out.images_offset(), laid_out.image_parts());
  });
  if (!built) return print_error(prog, built.error()), kExitFailure;
  unsigned_image = std::move(*built);  // the image bytes stay where they are
  auto signature = signer->sign(unsigned_image->digest());
  if (!signature) return print_error(prog, signature.error()), kExitFailure;
  auto file = image::assemble(*unsigned_image, *signature);
  if (!file) return print_error(prog, file.error()), kExitFailure;
  const std::span<const uint8_t> prefix[] = {file->prefix};
  if (auto written = (*output)->write(0, prefix); !written)
    return print_error(prog, written.error()), kExitFailure;
  if (auto committed = (*output)->commit(); !committed)
    return print_error(prog, committed.error()), kExitFailure;
  if (verbose)
    std::cerr << fmt::format(
        "{}: wrote {} ({} bytes, {} image(s), {} signature, TLV area {} bytes)\n", prog, args.out,
        file->size(), params.images.size(), signer->public_key().describe(),
        unsigned_image->tlv_area.size());
  return kExitOk;
}

}  // namespace rproctee::cli
