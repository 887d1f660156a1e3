// The sealed core file format (image/sealed_core.hpp) without a machine: what is written (the
// open part is an ordinary ELF core whose PT_LOADs hold only the open segments; the sealed
// regions are in the ".note.rproctee.sealed" section, not in clear), what opening it gives
// back (every segment in address order, the same registers), and the file as hostile input:
// another key, any changed byte of the sealed section, any truncation, a plain core, not an
// ELF file at all — refused with a reason, never a crash.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "crypto/keys.hpp"
#include "image/core_file.hpp"
#include "image/elf32.hpp"
#include "image/sealed_core.hpp"
#include "image/sealed_core_open.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

using Bytes = std::vector<uint8_t>;

crypto::PrivateKey key(const std::string& name) {
  auto k = crypto::PrivateKey::load_file((vectors_dir() / "keys" / (name + ".pem")).string(),
                                         std::nullopt);
  EXPECT_TRUE(k) << k.error().message;
  return *k;
}

/// Pseudo-random bytes (a different sequence per seed, so no buffer holds another).
Bytes pattern(size_t n, uint32_t seed) {
  Bytes b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& v : b) {
    x = x * 1664525u + 1013904223u;
    v = static_cast<uint8_t>(x >> 24);
  }
  return b;
}

const Bytes kSecret = {'T', 'O', 'P', '-', 'S', 'E', 'C', 'R',
                       'E', 'T', '-', 'B', 'Y', 'T', 'E', 'S'};

struct Memories {
  Bytes shared = pattern(0x300, 1), code = pattern(0x400, 2), data = pattern(0x200, 3);
  Memories() { std::copy(kSecret.begin(), kSecret.end(), code.begin() + 0x80); }
  std::vector<image::CoreSegment> open() const { return {{0x81200000, shared}}; }
  std::vector<image::CoreSegment> sealed() const {
    return {{0x80a00000, data}, {0x80100000, code}};  // not in address order on purpose
  }
};

image::ArmRegisters registers() {
  image::ArmRegisters r{};
  for (size_t i = 0; i < r.size(); ++i) r[i] = 0x1000 + static_cast<uint32_t>(i);
  return r;
}

Bytes seal(const Memories& m, const crypto::PublicKey& recipient) {
  Bytes out(static_cast<size_t>(image::sealed_coredump_size(m.open(), m.sealed(), recipient)));
  const Status s = image::write_sealed_coredump(m.open(), m.sealed(), registers(), recipient, out);
  EXPECT_TRUE(s) << s.error().message;
  return out;
}

Bytes segment(const image::Elf32View& view, const image::Elf32Phdr& ph) {
  auto bytes = view.segment_bytes(ph);
  return bytes ? Bytes(bytes->begin(), bytes->end()) : Bytes{};
}

bool contains(const Bytes& haystack, const Bytes& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

/// The registers of a core's NT_PRSTATUS (pr_reg at +72 of the descriptor).
image::ArmRegisters registers_in(const Bytes& core) {
  auto view = image::Elf32View::parse(core, "core");
  image::ArmRegisters r{};
  if (!view) return r;
  const auto& note = view->phdrs()[0];
  for (size_t i = 0; i < r.size(); ++i) {
    const size_t at = note.offset + 20 + 72 + 4 * i;
    r[i] = static_cast<uint32_t>(core[at] | core[at + 1] << 8 | core[at + 2] << 16 |
                                 core[at + 3] << 24);
  }
  return r;
}

TEST(CoredumpSealedFile, OpenPartIsAnOrdinaryCoreAndTheSealedPartIsNotInClear) {
  const Memories m;
  const auto k = key("rsa2048");
  const Bytes file = seal(m, k.public_key());
  auto view = image::Elf32View::parse(file, "sealed");
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->header().type, image::elf::kTypeCore);
  ASSERT_EQ(view->phdrs().size(), 2u);  // PT_NOTE, one PT_LOAD
  EXPECT_EQ(view->phdrs()[1].paddr, 0x81200000u);
  EXPECT_EQ(segment(*view, view->phdrs()[1]), m.shared);
  auto sections = view->sections();
  ASSERT_TRUE(sections) << sections.error().message;
  ASSERT_EQ(sections->size(), 3u);
  EXPECT_EQ((*sections)[1].name, ".note.rproctee.sealed");
  EXPECT_EQ((*sections)[1].header.type, 7u);  // SHT_NOTE
  EXPECT_EQ((*sections)[2].name, ".shstrtab");
  const auto note = file.begin() + (*sections)[1].header.offset;
  EXPECT_EQ(std::string(note + 12, note + 27), "RPROCTEE-SEALED");
  EXPECT_FALSE(contains(file, kSecret));
  EXPECT_FALSE(contains(file, m.code));
  EXPECT_FALSE(contains(file, m.data));
  EXPECT_EQ(registers_in(file), registers());
}

TEST(CoredumpSealedFile, OpeningGivesEveryRegionBackInAddressOrderWithTheRegisters) {
  const Memories m;
  for (const std::string name : {"rsa2048", "p256", "rsa4096"}) {
    SCOPED_TRACE(name);
    const auto k = key(name);
    const Bytes file = seal(m, k.public_key());
    auto opened = image::open_sealed_coredump(file, "sealed.core", k, name + ".pem");
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened->sealed.recipient, k.public_key().fingerprint());
    ASSERT_EQ(opened->sealed.regions.size(), 2u);
    EXPECT_EQ(opened->sealed.regions[0].address, 0x80a00000u);
    EXPECT_EQ(opened->sealed.regions[1].size, 0x400u);
    auto view = image::Elf32View::parse(opened->elf, "plain");
    ASSERT_TRUE(view) << view.error().message;
    EXPECT_EQ(view->header().shnum, 0);
    ASSERT_EQ(view->phdrs().size(), 4u);
    const std::vector<std::pair<uint32_t, const Bytes*>> want = {
        {0x80100000, &m.code}, {0x80a00000, &m.data}, {0x81200000, &m.shared}};
    for (size_t i = 0; i < want.size(); ++i) {
      const auto& ph = view->phdrs()[i + 1];
      EXPECT_EQ(ph.type, image::elf::kPtLoad);
      EXPECT_EQ(ph.paddr, want[i].first);
      EXPECT_EQ(ph.vaddr, want[i].first);
      EXPECT_EQ(segment(*view, ph), *want[i].second);
    }
    EXPECT_EQ(registers_in(opened->elf), registers());
  }
}

TEST(CoredumpSealedFile, NoSealedRegionIsStillAValidSealedCore) {
  const Memories m;
  const auto k = key("p256");
  Bytes out(static_cast<size_t>(image::sealed_coredump_size(m.open(), {}, k.public_key())));
  ASSERT_TRUE(image::write_sealed_coredump(m.open(), {}, registers(), k.public_key(), out));
  auto opened = image::open_sealed_coredump(out, "x", k, "p256.pem");
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(opened->sealed.regions.empty());
  // A wrong output size is refused.
  Bytes small(out.size() - 1);
  EXPECT_FALSE(image::write_sealed_coredump(m.open(), {}, registers(), k.public_key(), small));
}

TEST(CoredumpSealedFile, AnotherKeyIsRefusedNamingTheKeyItWasSealedFor) {
  const Memories m;
  const auto sealed_for = key("rsa2048");
  const Bytes file = seal(m, sealed_for.public_key());
  for (const std::string other : {"rsa3072", "p256"}) {
    auto r = image::open_sealed_coredump(file, "sealed.core", key(other), "debug.pem");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, TeeCode::kSecurity);
    EXPECT_EQ(
        r.error().message,
        fmt::format("the dump was sealed for key SHA256:{} not for debug.pem (SHA256:{})",
                    sealed_for.public_key().fingerprint(), key(other).public_key().fingerprint()));
  }
}

TEST(CoredumpSealedFile, EveryChangedByteOfTheSealedSectionIsRefused) {
  const Memories m;
  for (const std::string name : {"p256", "rsa2048"}) {
    SCOPED_TRACE(name);
    const auto k = key(name);
    const Bytes file = seal(m, k.public_key());
    auto view = image::Elf32View::parse(file, "sealed");
    const auto section = (*view->sections())[1].header;
    size_t refused = 0;
    for (size_t i = section.offset; i < section.offset + section.size; ++i) {
      Bytes changed = file;
      changed[i] ^= 0x01;
      auto r = image::open_sealed_coredump(changed, "sealed.core", k, "k");
      if (!r) {
        ++refused;
        EXPECT_TRUE(r.error().code == TeeCode::kSecurity || r.error().code == TeeCode::kBadFormat)
            << i << ": " << r.error().message;
      } else {
        ADD_FAILURE() << "byte " << i - section.offset << " of the sealed section changed and "
                      << "the dump still opened";
      }
    }
    EXPECT_EQ(refused, section.size);
    // A change in the ciphertext names the authentication failure.
    Bytes changed = file;
    changed[section.offset + section.size - 16 - 0x300] ^= 0x80;
    auto r = image::open_sealed_coredump(changed, "sealed.core", k, "k");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "sealed.core: the sealed regions fail authentication (AES-GCM tag): the dump was "
              "changed or truncated after it was sealed");
  }
}

TEST(CoredumpSealedFile, TruncationsPlainCoresAndOtherFilesAreRefused) {
  const Memories m;
  const auto k = key("p256");
  const Bytes file = seal(m, k.public_key());
  for (size_t n = 0; n < file.size(); n += (n < 64 ? 1 : 97)) {
    auto r = image::open_sealed_coredump(std::span(file).first(n), "cut", k, "k");
    EXPECT_FALSE(r) << n;
  }
  Bytes plain(static_cast<size_t>(image::coredump_size(m.open())));
  image::write_coredump(m.open(), registers(), plain);
  auto r = image::open_sealed_coredump(plain, "plain.core", k, "k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "plain.core has no sealed regions (no .note.rproctee.sealed section): it is a plain "
            "core file, gdb opens it as it is");
  const Bytes elf = read_bytes(vectors_dir() / "elf" / "rsc.elf");
  r = image::open_sealed_coredump(elf, "rsc.elf", k, "k");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not ET_CORE"), std::string::npos) << r.error().message;
  r = image::open_sealed_coredump(Bytes(100, 0x41), "junk", k, "k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, TeeCode::kBadFormat);
}

}  // namespace
}  // namespace rproctee::test
