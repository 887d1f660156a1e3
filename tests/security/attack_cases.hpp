// The attack tables of security.md: one row per crafted image, with the rejection it must get.
// tests/security/*_attacks_test.cpp run every row against the offline verifier;
// tests/tee/ta_attacks_test.cpp runs a selection of the same rows through the TA's LOAD_FW,
// which must answer with the same code and message.
#pragma once

#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "security/attack_support.hpp"

namespace rproctee::test::attack {

/// The files the rows start from, signed with rsa2048.
std::vector<uint8_t> single_image();  // rsc.elf
std::vector<uint8_t> multi_image();   // tfm.elf (image 1) + rsc.elf (image 2)

/// An ELF at 0x80000000 (where tfm.elf lives) with its own resource table at 0x80080000: the
/// second table when it is signed with rsc.elf.
std::vector<uint8_t> second_firmware_with_table();

/// Class 7: correctly signed (re-signed) TLV areas that are not canonical or inconsistent.
std::vector<ImageAttack> tlv_attacks();

/// The program headers of multi_image(), (image, header): the "EveryFieldOfEveryHeader" rows
/// change each field of each of them.
inline constexpr std::array<std::pair<size_t, size_t>, 3> kMultiImageHeaders{
    {{0, 0}, {1, 0}, {1, 1}}};

/// Classes 1 and 2: program headers omitted, duplicated, swapped or moved (unsigned changes).
std::vector<ImageAttack> program_header_attacks();

/// Class 13: per-image ELF header checks, image 1 and image 2 ("Image1_...", "Image2_...").
std::vector<ImageAttack> elf_header_attacks();

/// Class 14: re-signed program headers with wrong segment semantics.
std::vector<ImageAttack> segment_attacks();

/// H7: a BOOTADDR TLV that is unaligned or outside the signed bytes.
std::vector<ImageAttack> boot_address_attacks();

/// Class 12: the resource table's location, names and section table (unsigned changes), two
/// tables, and malformed tables that are signed (H9).
std::vector<ImageAttack> resource_table_attacks();

}  // namespace rproctee::test::attack
