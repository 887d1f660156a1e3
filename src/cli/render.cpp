#include "cli/render.hpp"

#include <algorithm>

#include "common/byte_reader.hpp"
#include "crypto/sha256.hpp"
#include "image/format.hpp"

namespace rproctee::cli {

std::string hex32(uint64_t v) {
  return fmt::format("{:#010x}", v);
}

namespace {

bool printable(std::span<const uint8_t> bytes) {
  return !bytes.empty() &&
         std::all_of(bytes.begin(), bytes.end(), [](uint8_t c) { return c >= 0x20 && c < 0x7F; });
}

template <typename Visitor>
void visit_entry(const image::RscEntry& e, Visitor&& v) {
  std::visit(v, e.body);
}

}  // namespace

std::vector<std::string> rsc_entry_lines(const image::ResourceTable& table) {
  std::vector<std::string> lines;
  for (const image::RscEntry& e : table.entries) {
    std::string head = fmt::format("[{:#06x}] {:<8}", e.offset, image::rsc_type_name(e.type));
    visit_entry(e, [&](const auto& body) {
      using T = std::decay_t<decltype(body)>;
      if constexpr (std::is_same_v<T, image::RscCarveout> || std::is_same_v<T, image::RscDevmem>) {
        lines.push_back(fmt::format("{} da {} pa {} len {:#x} flags {:#x} '{}'", head,
                                    hex32(body.da), hex32(body.pa), body.len, body.flags,
                                    body.name));
      } else if constexpr (std::is_same_v<T, image::RscTrace>) {
        lines.push_back(
            fmt::format("{} da {} len {:#x} '{}'", head, hex32(body.da), body.len, body.name));
      } else if constexpr (std::is_same_v<T, image::RscVdev>) {
        lines.push_back(
            fmt::format("{} id {}{} notifyid {} dfeatures {:#x} status {:#x} config_len {}", head,
                        body.id, body.id == image::rsc::kVirtioIdRpmsg ? " (rpmsg)" : "",
                        body.notifyid, body.dfeatures, body.status, body.config_len));
        for (size_t i = 0; i < body.vrings.size(); ++i) {
          const auto& r = body.vrings[i];
          lines.push_back(fmt::format("           vring{} da {} align {} num {} notifyid {}", i,
                                      hex32(r.da), r.align, r.num, r.notifyid));
        }
      } else {
        lines.push_back(fmt::format("{} type {}", head, e.type));
      }
    });
  }
  return lines;
}

json rsc_table_json(const image::ResourceTable& table) {
  json entries = json::array();
  for (const image::RscEntry& e : table.entries) {
    json j = {{"offset", e.offset}, {"type", e.type}, {"kind", image::rsc_type_name(e.type)}};
    visit_entry(e, [&](const auto& body) {
      using T = std::decay_t<decltype(body)>;
      if constexpr (std::is_same_v<T, image::RscCarveout> || std::is_same_v<T, image::RscDevmem>) {
        j.update({{"da", body.da},
                  {"pa", body.pa},
                  {"len", body.len},
                  {"flags", body.flags},
                  {"name", body.name}});
      } else if constexpr (std::is_same_v<T, image::RscTrace>) {
        j.update({{"da", body.da}, {"len", body.len}, {"name", body.name}});
      } else if constexpr (std::is_same_v<T, image::RscVdev>) {
        json vrings = json::array();
        for (const auto& r : body.vrings)
          vrings.push_back(
              {{"da", r.da}, {"align", r.align}, {"num", r.num}, {"notifyid", r.notifyid}});
        j.update({{"id", body.id},
                  {"notifyid", body.notifyid},
                  {"dfeatures", body.dfeatures},
                  {"gfeatures", body.gfeatures},
                  {"status", body.status},
                  {"config_len", body.config_len},
                  {"vrings", vrings}});
      }
    });
    entries.push_back(j);
  }
  return {{"version", table.version}, {"size", table.size}, {"entries", entries}};
}

json phdr_json(const image::Elf32Phdr& p) {
  return {{"type", image::phdr_type_name(p.type)},
          {"p_type", p.type},
          {"offset", p.offset},
          {"vaddr", p.vaddr},
          {"paddr", p.paddr},
          {"filesz", p.filesz},
          {"memsz", p.memsz},
          {"flags", image::phdr_flags_string(p.flags)},
          {"align", p.align}};
}

std::string phdr_line(const image::Elf32Phdr& p) {
  return fmt::format(
      "{:<9} off {:#08x} vaddr {} paddr {} filesz {:#08x} memsz {:#08x} {} align {:#x}",
      image::phdr_type_name(p.type), p.offset, hex32(p.vaddr), hex32(p.paddr), p.filesz, p.memsz,
      image::phdr_flags_string(p.flags), p.align);
}

std::string tlv_value_text(const image::Tlv& t) {
  namespace tlv = image::tlv;
  const auto& v = t.value;
  switch (t.type) {
    case tlv::kSignType:
      if (v.size() == 1 && (v[0] == 1 || v[0] == 2))
        return fmt::format("{} ({})", v[0],
                           image::sign_type_name(static_cast<image::SignType>(v[0])));
      break;
    case tlv::kHashType:
      if (v.size() == 1) return fmt::format("{}{}", v[0], v[0] == 1 ? " (SHA-256)" : "");
      break;
    case tlv::kEncType:
      if (v.size() == 1) return fmt::format("{}{}", v[0], v[0] == 1 ? " (AES-CBC)" : "");
      break;
    case tlv::kNumImg:
      if (v.size() == 1) return fmt::format("{}", v[0]);
      break;
    case tlv::kImgType: {
      std::vector<std::string> names;
      for (uint8_t b : v)
        names.push_back(b == 1 ? "ELF" : b == 2 ? "ENC_ELF" : fmt::format("{}", b));
      return fmt::format("{}", fmt::join(names, ", "));
    }
    case tlv::kImgSize: {
      std::vector<std::string> sizes;
      for (size_t i = 0; i + 4 <= v.size(); i += 4)
        sizes.push_back(fmt::format("{}", load_le<uint32_t>(v.subspan(i).first<4>())));
      return fmt::format("{}", fmt::join(sizes, ", "));
    }
    case tlv::kHashTable:
      return fmt::format("{} entries", v.size() / image::kHashEntrySize);
    case tlv::kEncTable:
      return fmt::format("{} entries", v.size() / image::kEncEntrySize);
    default:
      break;
  }
  if (image::is_platform_tlv(t.type) && v.size() == 4 && !printable(v))
    return hex32(load_le<uint32_t>(v.first<4>()));
  if (printable(v)) return fmt::format("\"{}\"", std::string(v.begin(), v.end()));
  return crypto::to_hex(v.first(std::min<size_t>(v.size(), 32))) + (v.size() > 32 ? "..." : "");
}

json tlv_json(const image::Tlv& t) {
  json j = {{"type", t.type},
            {"type_hex", fmt::format("{:#x}", t.type)},
            {"offset", t.offset},
            {"length", t.value.size()},
            {"value", tlv_value_text(t)}};
  j["name"] = or_null(image::tlv_name(t.type));
  const bool table = t.type == image::tlv::kHashTable || t.type == image::tlv::kEncTable;
  j["hex"] = table ? json(nullptr) : json(crypto::to_hex(t.value));
  return j;
}

json vector_table_json(const image::VectorTable& vt) {
  json j = {{"address", vt.address}, {"source", vt.source}, {"encrypted", vt.encrypted}};
  j["initial_sp"] = or_null(vt.initial_sp);
  j["reset_pc"] = or_null(vt.reset_pc);
  return j;
}

std::string vector_table_line(const image::VectorTable& vt) {
  if (vt.encrypted)
    return fmt::format("vector table at {} ({}): encrypted", hex32(vt.address), vt.source);
  if (!vt.initial_sp || !vt.reset_pc)
    return fmt::format("vector table at {} ({}): not in the file bytes of a segment",
                       hex32(vt.address), vt.source);
  return fmt::format("vector table at {} ({}): initial SP {}, reset PC {}{}", hex32(vt.address),
                     vt.source, hex32(*vt.initial_sp), hex32(*vt.reset_pc),
                     (*vt.reset_pc & 1) ? " (Thumb)" : " (not Thumb: would fault on Cortex-M)");
}

json error_json(const Error& e) {
  return {{"tee_error", tee_code_hex(e.code)},
          {"tee_error_name", tee_code_name(e.code)},
          {"message", e.message}};
}

}  // namespace rproctee::cli
