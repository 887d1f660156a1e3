// `rproctee inspect`: decode a signed image or a plain ELF without any key; on a malformed
// file, show everything decodable and where and why decoding stopped.
#include <iostream>

#include "cli/command.hpp"
#include "cli/file_io.hpp"
#include "cli/render.hpp"
#include "crypto/sha256.hpp"
#include "image/format.hpp"

namespace rproctee::cli {

namespace {

/// Schema 1 (README.md): every key is always present, null where decoding did not reach it.
json elf_json(const image::InspectedElf& e) {
  json j = {{"name", e.name},
            {"header", nullptr},
            {"program_headers", nullptr},
            {"sections", nullptr},
            {"resource_table", nullptr}};
  if (e.view) {
    const auto& h = e.view->header();
    j["header"] = {{"type", h.type},   {"machine", h.machine},   {"entry", h.entry},
                   {"phoff", h.phoff}, {"phnum", h.phnum},       {"shoff", h.shoff},
                   {"shnum", h.shnum}, {"shstrndx", h.shstrndx}, {"flags", h.flags}};
    json ph = json::array();
    for (const auto& p : e.view->phdrs()) ph.push_back(phdr_json(p));
    j["program_headers"] = ph;
    json sections = json::array();
    for (const auto& s : e.sections)
      sections.push_back({{"index", s.index},
                          {"name", s.name},
                          {"type", s.header.type},
                          {"addr", s.header.addr},
                          {"offset", s.header.offset},
                          {"size", s.header.size},
                          {"flags", s.header.flags}});
    j["sections"] = sections;
  }
  if (e.rsc_location)
    j["resource_table"] = {{"address", e.rsc_location->address},
                           {"size", e.rsc_location->size},
                           {"file_offset", e.rsc_location->file_offset},
                           {"table", e.rsc_table ? rsc_table_json(*e.rsc_table) : json(nullptr)}};
  j["vector_table"] = e.vectors ? vector_table_json(*e.vectors) : json(nullptr);
  json problems = json::array();
  for (const auto& p : e.problems) problems.push_back(error_json(p));
  j["problems"] = problems;
  return j;
}

json inspection_json(const std::string& path, const image::Inspection& r) {
  using Kind = image::Inspection::Kind;
  json j = {{"schema", kJsonSchema},
            {"file", path},
            {"size", r.file_size},
            {"kind", r.kind == Kind::kElf           ? "elf"
                     : r.kind == Kind::kSignedImage ? "signed-image"
                                                    : "unknown"},
            {"header", nullptr},
            {"signature", nullptr},
            {"hash_table", nullptr},
            {"enc_table", nullptr}};
  if (r.header)
    j["header"] = {{"magic", r.header->magic},
                   {"version", r.header->version},
                   {"tlv_len", r.header->tlv_len},
                   {"sign_len", r.header->sign_len},
                   {"img_len", r.header->img_len}};
  if (!r.signature.empty()) j["signature"] = crypto::to_hex(r.signature);
  json tlvs = json::array();
  for (const auto& t : r.tlvs) tlvs.push_back(tlv_json(t));
  j["tlvs"] = tlvs;
  if (!r.table.empty()) {
    json table = json::array();
    for (const auto& s : r.table) {
      json sj = phdr_json(s.phdr);
      sj["sha256"] = crypto::to_hex(s.digest);
      sj["iv"] = s.iv ? json(crypto::to_hex(*s.iv)) : json(nullptr);
      table.push_back(sj);
    }
    j[r.encrypted ? "enc_table" : "hash_table"] = table;
  }
  json images = json::array();
  for (const auto& e : r.images) images.push_back(elf_json(e));
  j["images"] = images;
  j["complete"] = !r.stop_reason.has_value();
  j["stopped_at"] = or_null(r.stopped_at);
  j["stop_reason"] = r.stop_reason ? error_json(*r.stop_reason) : json(nullptr);
  return j;
}

void print_elf(const image::InspectedElf& e) {
  std::cout << fmt::format("{}:\n", e.name);
  if (e.view) {
    const auto& h = e.view->header();
    std::cout << fmt::format("  ELF32 ARM, e_type {}, entry {}, {} program headers, {} sections\n",
                             h.type, hex32(h.entry), h.phnum, h.shnum);
    for (const auto& p : e.view->phdrs()) std::cout << "    " << phdr_line(p) << "\n";
  }
  if (e.vectors) std::cout << "  " << vector_table_line(*e.vectors) << "\n";
  if (e.rsc_location) {
    std::cout << fmt::format("  resource table at {} ({:#x} bytes, file offset {:#x})\n",
                             hex32(e.rsc_location->address), e.rsc_location->size,
                             e.rsc_location->file_offset);
    if (e.rsc_table)
      for (const auto& line : rsc_entry_lines(*e.rsc_table)) std::cout << "    " << line << "\n";
    else
      std::cout << "    (encrypted: not decoded)\n";
  } else if (e.view && e.problems.empty()) {
    std::cout << "  no resource table\n";
  }
  for (const auto& p : e.problems)
    std::cout << fmt::format("  problem: {} [{}]\n", p.message, tee_code_name(p.code));
}

void print_inspection(const std::string& path, const image::Inspection& r) {
  using Kind = image::Inspection::Kind;
  std::cout << fmt::format("{}: {} ({} bytes)\n", path,
                           r.kind == Kind::kElf           ? "ELF file"
                           : r.kind == Kind::kSignedImage ? "signed remote-processor image"
                                                          : "unrecognised file",
                           r.file_size);
  if (r.header && r.kind == Kind::kSignedImage) {
    const auto& h = *r.header;
    std::cout << fmt::format("header: magic {} version {} tlv_len {} sign_len {} img_len {}\n",
                             hex32(h.magic), h.version, h.tlv_len, h.sign_len, h.img_len);
  }
  if (!r.tlvs.empty()) std::cout << "TLVs (not verified: no key given):\n";
  for (const auto& t : r.tlvs)
    std::cout << fmt::format("  [{:#06x}] {:<22} len {:>5}  {}\n", t.offset,
                             image::describe_tlv_type(t.type), t.value.size(), tlv_value_text(t));
  if (!r.table.empty()) std::cout << (r.encrypted ? "ENCTABLE:\n" : "HASHTABLE:\n");
  for (size_t i = 0; i < r.table.size(); ++i) {
    const auto& s = r.table[i];
    std::cout << fmt::format("  {:>2} {}\n     sha256 {}{}\n", i, phdr_line(s.phdr),
                             crypto::to_hex(s.digest), s.iv ? "  iv " + crypto::to_hex(*s.iv) : "");
  }
  if (!r.signature.empty())
    std::cout << fmt::format(
        "signature: {} bytes {}...\n", r.signature.size(),
        crypto::to_hex(r.signature.first(std::min<size_t>(16, r.signature.size()))));
  for (const auto& e : r.images) print_elf(e);
  if (r.stop_reason)
    std::cout << fmt::format("decoding stopped at {}: {} [{} {}]\n", r.stopped_at.value_or("?"),
                             r.stop_reason->message, tee_code_name(r.stop_reason->code),
                             tee_code_hex(r.stop_reason->code));
}

}  // namespace

int inspect_main(std::vector<std::string> argv, std::string prog) {
  CLI::App app(
      "Decode a signed remote-processor image or a plain ELF without any key: header, "
      "every TLV by name, hash/encryption table, each image's ELF summary and program "
      "headers, resource table, initial SP/PC. Exit 1 if the file could not be fully "
      "decoded.",
      prog);
  std::string path;
  bool as_json = false;
  app.add_option("file", path, "Signed image or ELF file")->required()->check(CLI::ExistingFile);
  app.add_flag("--json", as_json, "Print the decoded structure as JSON on stdout");
  if (auto code = parse_args(app, std::move(argv))) return *code;

  auto file = map_regular_file(path, kMaxImageFile);
  if (!file) return print_error(prog, file.error()), kExitFailure;
  const image::Inspection r = image::inspect_file(*file);
  if (as_json) {
    std::cout << inspection_json(path, r).dump(2) << "\n";
  } else {
    print_inspection(path, r);
  }
  bool complete = !r.stop_reason && r.kind != image::Inspection::Kind::kUnknown;
  for (const auto& e : r.images) complete = complete && e.problems.empty();
  return complete ? kExitOk : kExitFailure;
}

}  // namespace rproctee::cli
