// Text and JSON renderings of the pieces `verify` and `inspect` both show.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/result.hpp"
#include "image/elf32.hpp"
#include "image/inspect.hpp"
#include "image/resource_table.hpp"
#include "image/signed_tlvs.hpp"

namespace rproctee::cli {

using nlohmann::json;

/// The version of every `--json` output's layout (its "schema" key). Every object of a given
/// output has the same keys whatever the input; a field not reached is null. README.md lists
/// them; a change of key or meaning bumps this number.
inline constexpr int kJsonSchema = 1;

/// json(v) when v holds a value, else null.
template <typename T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

/// "0x80100000".
std::string hex32(uint64_t v);

/// One line per resource-table entry ("trace  da 0x80a00400 len 0x400 'cm33_log'").
std::vector<std::string> rsc_entry_lines(const image::ResourceTable& table);
json rsc_table_json(const image::ResourceTable& table);

/// Program header fields.
json phdr_json(const image::Elf32Phdr& p);
std::string phdr_line(const image::Elf32Phdr& p);

/// The TLV value, decoded for display ("1 (RSA PKCS#1 v1.5 SHA-256)", "0x80100000", text).
std::string tlv_value_text(const image::Tlv& tlv);
json tlv_json(const image::Tlv& tlv);

json vector_table_json(const image::VectorTable& vt);
std::string vector_table_line(const image::VectorTable& vt);

/// {"tee_error": "0x...", "tee_error_name": "...", "message": "..."}.
json error_json(const Error& e);

}  // namespace rproctee::cli
