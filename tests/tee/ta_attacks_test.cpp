// security.md attack classes 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13 and 14 against the trusted
// application itself: every crafted image goes through TEEC_AllocateSharedMemory + LOAD_FW into
// a machine (over the in-process and the socket transport), and every rejection must carry the
// exact TEE code, origin TRUSTED_APP, the TA's reason (GET_LAST_ERROR), leave the state OFF
// (START and GET_RSC_TABLE answer BAD_STATE) and every memory of the processor zero; a valid
// LOAD afterwards must load exactly its signed bytes. tests/security/ has the same inputs
// against the offline verifier; here the TA must give the same answers. Class 14 also covers
// what only a platform can check: segments straddling two regions or outside every region of
// the processor (platforms/stm32mp25-m33.dtsi).
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/byte_reader.hpp"
#include "crypto/ecdsa_p256.hpp"
#include "crypto/ossl.hpp"
#include "crypto/sha256.hpp"
#include "image/format.hpp"
#include "ta_attack_support.hpp"

namespace rproctee::test {
namespace {

using namespace attack;     // NOLINT(google-build-using-namespace)
using namespace ta_attack;  // NOLINT(google-build-using-namespace)
using Bytes = std::vector<uint8_t>;
namespace tlv = image::tlv;

/// One crafted input and the TA's expected answer.
struct Case {
  std::string name;
  Bytes image;
  TEEC_Result code;
  std::string needle;
};

/// The generic reason of a signature that verifies with no provisioned key.
constexpr const char* kNoKey =
    "the signature over the header and TLVs verifies with none of the provisioned keys";

Bytes cat(std::initializer_list<std::span<const uint8_t>> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// rsc.elf's .symtab: file bytes that no segment covers (so no digest covers them).
constexpr size_t kUnsignedSpot = 0x20e8;

void copy_bytes(Bytes& img, size_t from, size_t to, size_t size) {
  if (from + size > img.size() || to + size > img.size()) throw std::out_of_range("copy_bytes");
  std::copy_n(img.begin() + static_cast<long>(from), size, img.begin() + static_cast<long>(to));
}

/// The bytes the signature covers when the header says sign_len = `sign_len`.
Bytes signed_prefix(RawImage raw, uint32_t sign_len) {
  raw.sign_len = sign_len;
  raw.signature.assign(sign_len, 0);
  const Bytes file = assemble_raw(raw);
  return Bytes(file.begin(), file.begin() + static_cast<long>(20 + round_up8(get_u32(file, 8))));
}

/// `raw` with `signature` stored verbatim and sign_len = its size.
Bytes with_signature(RawImage raw, Bytes signature) {
  raw.sign_len = static_cast<uint32_t>(signature.size());
  raw.signature = std::move(signature);
  return assemble_raw(raw);
}

/// Varies a platform TLV until `key` signs the prefix (with sign_len = `sign_len`) with a
/// signature `accept` likes.
std::pair<RawImage, Bytes> find_signature(RawImage raw, const TestKey& key, uint32_t sign_len,
                                          const std::function<bool(const Bytes&)>& accept) {
  raw.tlvs.emplace_back(0x10010, Bytes(4, 0));
  for (uint32_t counter = 0; counter < 8192; ++counter) {
    put_u32(raw.tlvs.back().second, 0, counter);
    auto sig = key.signer.sign(crypto::Sha256::of(signed_prefix(raw, sign_len)));
    if (!sig) throw std::runtime_error(sig.error().message);
    if (accept(*sig)) return {raw, *sig};
  }
  throw std::runtime_error("no suitable signature found");
}

/// Big-endian a - b, same width, a >= b.
Bytes sub_be(const Bytes& a, const Bytes& b) {
  Bytes out(a.size());
  int borrow = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int d = a[i] - b[i] - borrow;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 256;
    out[i] = static_cast<uint8_t>(d);
  }
  return out;
}

/// The tests every class runs: each case rejected as expected, then a valid LOAD succeeds.
class TaAttack : public TaAttackFixture {
 protected:
  void ExpectAll(const std::vector<Case>& cases) {
    for (const Case& k : cases) {
      SCOPED_TRACE(k.name);
      EXPECT_TRUE(RejectedThenRecovers(k.image, k.code, k.needle));
    }
  }
};

// ---- Class 1: signed segments omitted (PT_NULL, e_phnum - 1) -> SECURITY --------------------

class TaOmittedSegment : public TaAttack {};

TEST_P(TaOmittedSegment, PtNullOrFewerProgramHeadersAreRefused) {
  std::vector<Case> cases;
  {
    RawImage raw = decompose(signed_single());
    set_phdr(raw.images[0], 1, Phdr::kType, 0);
    cases.push_back({"PtNullImage1", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "image 1 program header 1 differs from the signed one: p_type is 0x0 in the "
                     "ELF but 0x1 in the signed table"});
  }
  {
    RawImage raw = decompose(signed_single());
    set_phdr(raw.images[0], 0, Phdr::kType, 0);
    cases.push_back({"PtNullFirstSegment", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "image 1 program header 0 differs from the signed one: p_type is 0x0"});
  }
  {
    RawImage raw = decompose(signed_multi());
    set_phdr(raw.images[1], 1, Phdr::kType, 0);
    cases.push_back({"PtNullImage2", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "image 2 program header 1 differs from the signed one: p_type is 0x0"});
  }
  {
    RawImage raw = decompose(signed_single());
    put_u16(raw.images[0], ehdr::kPhnum, 1);
    cases.push_back({"PhnumMinusOne", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "the images declare 1 program headers (1) but the signed table has 2 "
                     "entries"});
  }
  {
    RawImage raw = decompose(signed_multi());
    put_u16(raw.images[1], ehdr::kPhnum, 1);
    cases.push_back({"PhnumMinusOneImage2", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "the images declare 2 program headers (1 + 1) but the signed table has 3 "
                     "entries"});
  }
  ExpectAll(cases);
}

// ---- Class 2: duplicated / swapped / moved program headers -> SECURITY ----------------------

class TaReorderedHeaders : public TaAttack {};

TEST_P(TaReorderedHeaders, DuplicatedSwappedOrMovedHeadersAreRefused) {
  std::vector<Case> cases;
  {
    RawImage raw = decompose(signed_single());
    auto& img = raw.images[0];
    copy_bytes(img, phdr_offset(img, 0), phdr_offset(img, 1), 32);
    cases.push_back({"Duplicated", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "image 1 program header 1 differs from the signed one: p_offset is 0x1000 in "
                     "the ELF but 0x2000 in the signed table"});
  }
  {
    RawImage raw = decompose(signed_single());
    auto& img = raw.images[0];
    copy_bytes(img, phdr_offset(img, 1), phdr_offset(img, 2), 32);
    put_u16(img, ehdr::kPhnum, 3);
    cases.push_back({"DuplicateAppended", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "the images declare 3 program headers (3) but the signed table has 2 "
                     "entries"});
  }
  {
    RawImage raw = decompose(signed_single());
    auto& img = raw.images[0];
    const Bytes first(img.begin() + static_cast<long>(phdr_offset(img, 0)),
                      img.begin() + static_cast<long>(phdr_offset(img, 1)));
    copy_bytes(img, phdr_offset(img, 1), phdr_offset(img, 0), 32);
    std::copy(first.begin(), first.end(), img.begin() + static_cast<long>(phdr_offset(img, 1)));
    cases.push_back({"Swapped", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "image 1 program header 0 differs from the signed one: p_offset is 0x2000 in "
                     "the ELF but 0x1000 in the signed table"});
  }
  {
    // The segment's bytes copied to an unsigned spot and p_offset pointing there: the digest
    // of the bytes at the new offset is still the signed one.
    RawImage raw = decompose(signed_single());
    auto& img = raw.images[0];
    copy_bytes(img, get_phdr(img, 0, Phdr::kOffset), kUnsignedSpot,
               get_phdr(img, 0, Phdr::kFilesz));
    set_phdr(img, 0, Phdr::kOffset, kUnsignedSpot);
    cases.push_back({"MovedByPOffset", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "image 1 program header 0 differs from the signed one: p_offset is 0x20e8 in "
                     "the ELF but 0x1000 in the signed table"});
  }
  {
    RawImage raw = decompose(signed_single());
    set_phdr(raw.images[0], 0, Phdr::kPaddr, 0x80200000);
    cases.push_back({"MovedLoadAddress", assemble_raw(raw), TEEC_ERROR_SECURITY,
                     "p_paddr is 0x80200000 in the ELF but 0x80100000 in the signed table"});
  }
  ExpectAll(cases);
}

// ---- Class 3: LOAD A, STOP, LOAD B that fails in segment 2 -> nothing of A or B survives ------

class TaMixedImages : public TaAttack {
 protected:
  /// LOAD A, START, STOP: the memories are zero again afterwards.
  void RunAndStopA(const Bytes& a) {
    ASSERT_EQ(c_.load(a), TEEC_SUCCESS) << c_.last_error();
    ASSERT_TRUE(memory_holds_exactly(m_, a));
    ASSERT_EQ(c_.start(), TEEC_SUCCESS) << c_.last_error();
    ASSERT_EQ(c_.stop(), TEEC_SUCCESS) << c_.last_error();
    ASSERT_TRUE(m_.memories_zero());
  }
};

/// A one-segment firmware (code only, different bytes from the demo firmware).
Bytes code_only_firmware() {
  ElfBuilder b;
  Bytes code(0x3000, 0x5A);
  const uint32_t sp = 0x80E00000, pc = 0x80100041;
  for (size_t i = 0; i < 4; ++i) {
    code[i] = static_cast<uint8_t>(sp >> (8 * i));
    code[4 + i] = static_cast<uint8_t>(pc >> (8 * i));
  }
  b.entry(pc);
  b.add_segment({.paddr = 0x80100000, .data = code, .flags = 5});
  return b.build();
}

TEST_P(TaMixedImages, FailureInSegment2AfterStopLeavesEveryRegionZero) {
  const Bytes a = demo_image(8192);
  ASSERT_NO_FATAL_FAILURE(RunAndStopA(a));
  // B: another firmware whose second segment (data at 0x80a00000) has one byte changed after
  // signing; its first segment (code) is loaded before the digest mismatch is found.
  const Bytes b = demo_image(12288);
  RawImage raw = decompose(b);
  auto& elf = raw.images[0];
  ASSERT_EQ(get_phdr(elf, 1, Phdr::kPaddr), 0x80A00000u);
  elf.at(get_phdr(elf, 1, Phdr::kOffset) + 5) ^= 0xFF;
  const Bytes bad = assemble_raw(raw);  // not re-signed: the TLV area is unchanged
  EXPECT_TRUE(
      LoadRejected(m_, c_, bad, TEEC_ERROR_SECURITY,
                   "image 1 segment 1 (LOAD at 0x80a00000, 0x100 bytes): its SHA-256 in memory "
                   "does not match the signed digest (the memory was wiped)"));
  // The same after A was only LOADed and RELEASEd, and straight after a LOADED A is stopped
  // by RELEASE.
  ASSERT_EQ(c_.load(a), TEEC_SUCCESS) << c_.last_error();
  ASSERT_EQ(c_.release(), TEEC_SUCCESS);
  EXPECT_TRUE(
      LoadRejected(m_, c_, bad, TEEC_ERROR_SECURITY,
                   "image 1 segment 1 (LOAD at 0x80a00000, 0x100 bytes): its SHA-256 in memory "
                   "does not match the signed digest (the memory was wiped)"));
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, b));
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, a));
}

TEST_P(TaMixedImages, ImageWithFewerSegmentsDoesNotInheritTheOldOnes) {
  const Bytes a = demo_image(8192);
  ASSERT_NO_FATAL_FAILURE(RunAndStopA(a));
  // B signed with one segment only: after LOAD, A's data and resource table are gone (the
  // check reads every data page of every region: zeros outside B's segment).
  const Bytes b = sign_elfs({code_only_firmware()}, test_key("rsa2048"));
  ASSERT_EQ(c_.load(b), TEEC_SUCCESS) << c_.last_error();
  EXPECT_TRUE(memory_holds_exactly(m_, b));
  EXPECT_EQ(m_.read(0x80A00000, 0x100), Bytes(0x100, 0));
  uint64_t address = 1, size = 1;
  ASSERT_EQ(c_.rsc_table(address, size), TEEC_SUCCESS);
  EXPECT_EQ(address, 0u);
  EXPECT_EQ(size, 0u);
  ASSERT_EQ(c_.start(), TEEC_SUCCESS);
  EXPECT_TRUE(memory_holds_exactly(m_, b));
  ASSERT_EQ(c_.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m_.memories_zero());
}

TEST_P(TaMixedImages, OmittingASegmentOfBAfterStopIsRefused) {
  // Upstream: B with its data segment hidden (PT_NULL) loads B's code over A's data.
  const Bytes a = demo_image(8192);
  ASSERT_NO_FATAL_FAILURE(RunAndStopA(a));
  RawImage raw = decompose(demo_image(12288));
  set_phdr(raw.images[0], 1, Phdr::kType, 0);
  EXPECT_TRUE(RejectedThenRecovers(assemble_raw(raw), TEEC_ERROR_SECURITY,
                                   "image 1 program header 1 differs from the signed one: p_type "
                                   "is 0x0 in the ELF but 0x1 in the signed table"));
}

// ---- Class 4: lengths near 2^32 -> BAD_PARAMETERS from the header ----------------------------

class TaHeaderLengths : public TaAttack {};

constexpr size_t kTlvLenAt = 8, kSignLenAt = 12, kImgLenAt = 16;

/// Size of header || TLV area.
size_t signed_size(const Bytes& file) {
  return 20 + round_up8(get_u32(file, kTlvLenAt));
}

Bytes without(Bytes file, size_t from, size_t size) {
  file.erase(file.begin() + static_cast<long>(from), file.begin() + static_cast<long>(from + size));
  return file;
}

TEST_P(TaHeaderLengths, WrappingLengthsAreRefusedAtTheHeader) {
  const Bytes good = signed_single();
  const Bytes no_tlvs = without(good, 20, signed_size(good) - 20);
  const Bytes no_signature = without(good, signed_size(good), 256);
  std::vector<Case> cases;
  for (uint32_t v = 0xFFFFFFF9; v != 0; ++v) {
    for (const Bytes* base : {&good, &no_tlvs}) {
      Bytes f = *base;
      put_u32(f, kTlvLenAt, v);
      cases.push_back(
          {fmt::format("tlv_len {:#x} ({} bytes)", v, f.size()), f, TEEC_ERROR_BAD_PARAMETERS,
           fmt::format("header tlv_len is {:#x}, more than the 0x100000-byte limit", v)});
    }
    for (const Bytes* base : {&good, &no_signature}) {
      Bytes f = *base;
      put_u32(f, kSignLenAt, v);
      cases.push_back({fmt::format("sign_len {:#x} ({} bytes)", v, f.size()), f,
                       TEEC_ERROR_BAD_PARAMETERS,
                       fmt::format("header sign_len is {:#x}, more than the 1024-byte limit", v)});
    }
  }
  const size_t images_at = signed_size(good) + 256;
  for (const uint32_t v : {0x80000000u, 0xFFFFFFF8u, 0xFFFFFFF9u, 0xFFFFFFFFu}) {
    Bytes f = good;
    put_u32(f, kImgLenAt, v);
    const uint64_t total = images_at + round_up8(v);
    cases.push_back({fmt::format("img_len {:#x}", v), f, TEEC_ERROR_BAD_PARAMETERS,
                     fmt::format("file is {} bytes shorter than the header says ({} vs {})",
                                 total - f.size(), f.size(), total)});
  }
  cases.push_back({"19-byte image", Bytes(good.begin(), good.begin() + 19),
                   TEEC_ERROR_BAD_PARAMETERS,
                   "image is 19 bytes, smaller than the 20-byte header"});
  Bytes magic = good;
  magic[0] ^= 1;
  cases.push_back({"magic", magic, TEEC_ERROR_BAD_PARAMETERS,
                   "header magic is 0x3543a469, expected 0x3543a468"});
  ExpectAll(cases);
}

// ---- Class 6: header/TLV bytes changed without re-signing -> SIGNATURE_INVALID --------------

class TaUnsignedChange : public TaAttack {};

TEST_P(TaUnsignedChange, EveryTlvByteChangedIsASignatureFailure) {
  const Bytes good = signed_single();
  const size_t end = signed_size(good);
  ASSERT_GT(end, 200u);
  int wrong = 0;
  for (size_t at = 20; at < end; ++at) {
    Bytes f = good;
    f[at] ^= 0x80;
    const auto r = LoadRejected(m_, c_, f, TEE_ERROR_SIGNATURE_INVALID, kNoKey);
    if (!r && ++wrong <= 5) ADD_FAILURE() << "TLV byte " << at << ": " << r.message();
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, demo_image()));
}

TEST_P(TaUnsignedChange, NonCanonicalTlvsAreNotInterpretedBeforeTheSignature) {
  // Without re-signing, a TLV area that would be BAD_FORMAT / NO_DATA answers
  // SIGNATURE_INVALID: the TLVs are never looked at before the signature verified.
  std::vector<Case> cases;
  {
    RawImage raw = decompose(signed_single());
    raw.tlvs.emplace_back(tlv::kSignType, Bytes{1});
    cases.push_back({"DuplicateSignType", assemble_raw(raw), TEE_ERROR_SIGNATURE_INVALID, kNoKey});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlv(tlv::kNumImg) = {0};
    cases.push_back({"NumImg0", assemble_raw(raw), TEE_ERROR_SIGNATURE_INVALID, kNoKey});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.extra_tlv_bytes = Bytes(4, 0xEE);
    cases.push_back({"TrailingBytes", assemble_raw(raw), TEE_ERROR_SIGNATURE_INVALID, kNoKey});
  }
  {
    Bytes f = signed_single();
    f[signed_size(f) + 17] ^= 0x01;  // a signature byte
    cases.push_back({"SignatureByte", f, TEE_ERROR_SIGNATURE_INVALID, kNoKey});
  }
  ExpectAll(cases);
}

// ---- Class 7: re-signed, non-canonical TLV areas -> BAD_FORMAT / BAD_PARAMETERS / NO_DATA ----

class TaNonCanonicalTlv : public TaAttack {};

Bytes raw_tlv(uint32_t type, uint32_t length, const Bytes& value) {
  Bytes out = cat({le32(type), le32(length)});
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

TEST_P(TaNonCanonicalTlv, ResignedMalformedTlvAreasAreRefused) {
  const TestKey& key = test_key("rsa2048");
  const uint32_t base_len = get_u32(signed_single(), kTlvLenAt);
  std::vector<Case> cases;
  {
    RawImage raw = decompose(signed_single());
    raw.extra_tlv_bytes.assign(4, 0xEE);
    cases.push_back({"TrailingBytes", resign(raw, key), TEEC_ERROR_BAD_FORMAT,
                     fmt::format("TLV area: 4 trailing bytes at offset {:#x} are too short for a "
                                 "TLV header (tlv_len {})",
                                 base_len, base_len + 4)});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.extra_tlv_bytes = raw_tlv(0x10010, 100, Bytes(8, 0x55));
    cases.push_back({"TlvOverrunsTheArea", resign(raw, key), TEEC_ERROR_BAD_FORMAT,
                     fmt::format("TLV 0x10010 at offset {:#x}: length 100 runs {} bytes past "
                                 "tlv_len ({})",
                                 base_len, 100 - 8, base_len + 16)});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlvs.emplace_back(tlv::kSignType, Bytes{1});
    cases.push_back(
        {"DuplicateSignType", resign(raw, key), TEEC_ERROR_BAD_FORMAT,
         fmt::format("TLV SIGNTYPE (0x1) appears twice (offsets 0x0 and {:#x})", base_len)});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlvs.emplace_back(tlv::kHashTable, raw.tlv(tlv::kHashTable));
    cases.push_back({"DuplicateHashTable", resign(raw, key), TEEC_ERROR_BAD_FORMAT,
                     "TLV HASHTABLE (0x10) appears twice"});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlv(tlv::kSignType) = {1, 0};
    cases.push_back({"SignTypeLength2", resign(raw, key), TEEC_ERROR_BAD_PARAMETERS,
                     "TLV SIGNTYPE (0x1) is 2 bytes long, expected 1"});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlv(tlv::kHashType) = {2};
    cases.push_back({"HashType2", resign(raw, key), TEEC_ERROR_BAD_PARAMETERS,
                     "HASHTYPE is 2: only 1 (SHA-256) exists"});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlv(tlv::kNumImg) = {0};
    cases.push_back({"NumImg0", resign(raw, key), TEEC_ERROR_NO_DATA,
                     "NUM_IMG is 0: the image holds no firmware"});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.tlv(tlv::kImgType) = {1, 1};
    cases.push_back({"ImgTypeLongerThanNumImg", resign(raw, key), TEEC_ERROR_BAD_PARAMETERS,
                     "IMGTYPE is 2 bytes long but NUM_IMG is 1"});
  }
  {
    RawImage raw = decompose(signed_multi());
    raw.tlv(tlv::kImgType) = {1};
    cases.push_back({"ImgTypeShorterThanNumImg", resign(raw, key), TEEC_ERROR_BAD_PARAMETERS,
                     "IMGTYPE is 1 bytes long but NUM_IMG is 2"});
  }
  {
    RawImage raw = decompose(signed_single());
    const uint32_t size = get_u32(raw.tlv(tlv::kImgSize), 0);
    put_u32(raw.tlv(tlv::kImgSize), 0, size + 8);
    cases.push_back({"ImgSizeSumAboveImgLen", resign(raw, key), TEEC_ERROR_BAD_PARAMETERS,
                     fmt::format("IMGSIZE entries add up to {} bytes but the header's img_len is "
                                 "{}",
                                 size + 8, size)});
  }
  {
    RawImage raw = decompose(signed_multi());
    auto& sizes = raw.tlv(tlv::kImgSize);
    const uint32_t a = get_u32(sizes, 0), b = get_u32(sizes, 4);
    put_u32(sizes, 4, b + 16);
    cases.push_back({"ImgSizeSumMismatchThroughImage2", resign(raw, key), TEEC_ERROR_BAD_PARAMETERS,
                     fmt::format("IMGSIZE entries add up to {} bytes but the header's img_len is "
                                 "{}",
                                 a + b + 16, a + b)});
  }
  {
    RawImage raw = decompose(signed_single());
    raw.remove_tlv(tlv::kHashTable);
    cases.push_back({"HashTableMissing", resign(raw, key), TEEC_ERROR_NO_DATA,
                     "required TLV HASHTABLE (0x10) is missing"});
  }
  ExpectAll(cases);
}

TEST_P(TaNonCanonicalTlv, ResignedCanonicalVariantsLoad) {
  // Controls: re-signing alone, a free TLV order and unknown platform TLVs never cause a
  // rejection, so the refusals above come from the mutations.
  RawImage raw = decompose(signed_multi());
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, resign(raw, test_key("rsa2048"))));
  std::reverse(raw.tlvs.begin(), raw.tlvs.end());
  raw.tlvs.emplace_back(0x1FFFF, le32(0xDEADBEEF));
  raw.tlvs.emplace_back(tlv::kPKeyInfo, Bytes{'k', 'i'});
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, resign(raw, test_key("rsa2048"))));
}

// ---- Class 8: RSA forgeries -> SIGNATURE_INVALID ----------------------------------------------

class TaRsaForgery : public TaAttack {};

/// s = block^d mod n: the raw RSA private operation (no padding).
Bytes rsa_private_raw(const TestKey& key, std::span<const uint8_t> block) {
  crypto::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.priv.get(), nullptr));
  size_t len = key.signer.signature_size();
  Bytes out(len);
  if (block.size() != len || !ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1 ||
      EVP_PKEY_sign(ctx.get(), out.data(), &len, block.data(), block.size()) != 1)
    throw std::runtime_error("raw RSA private operation failed: " + crypto::openssl_error());
  out.resize(len);
  return out;
}

/// The RSA modulus, big-endian, exactly k bytes.
Bytes modulus(const TestKey& key) {
  Bytes n = key.verifier.key().components().first;
  const size_t k = key.signer.signature_size();
  if (n.size() > k) n.erase(n.begin(), n.begin() + static_cast<long>(n.size() - k));
  n.insert(n.begin(), k - n.size(), 0);
  return n;
}

const Bytes kSha256Info = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                           0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
const Bytes kSha256InfoLongSequence = {0x30, 0x81, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
                                       0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
const Bytes kSha1Info = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                         0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};

/// 00 01 FF..FF 00 || tail in k bytes.
Bytes type1_block(size_t k, const Bytes& tail) {
  return cat({Bytes{0x00, 0x01}, Bytes(k - 3 - tail.size(), 0xFF), Bytes{0x00}, tail});
}

Bytes sha1(std::span<const uint8_t> data) {
  Bytes out(20);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha1(), nullptr) != 1 || len != 20)
    throw std::runtime_error("SHA-1 failed");
  return out;
}

TEST_P(TaRsaForgery, ForgedSignaturesAreRefused) {
  const TestKey& key = test_key("rsa2048");
  const size_t k = key.signer.signature_size();
  const RawImage raw = decompose(signed_single());
  const Bytes prefix = signed_prefix(raw, static_cast<uint32_t>(k));
  const auto h = crypto::Sha256::of(prefix);
  const Bytes digest(h.begin(), h.end());
  const Bytes t = cat({kSha256Info, digest});
  const Bytes n = modulus(key);

  // Control: the block built here, raw-signed, is the correct signature.
  EXPECT_TRUE(LoadsExactlyThenReleases(
      m_, c_, with_signature(raw, rsa_private_raw(key, type1_block(k, t)))));

  auto forged = [&](const Bytes& block) {
    return with_signature(raw, rsa_private_raw(key, block));
  };
  std::vector<Case> cases = {
      {"GarbageAfterTheDigest", forged(type1_block(k, cat({t, Bytes{0xDE, 0xAD, 0xBE, 0xEF}}))),
       TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"PaddingOf7Bytes",
       forged(
           cat({Bytes{0x00, 0x01}, Bytes(7, 0xFF), Bytes{0x00}, t, Bytes(k - 10 - t.size(), 0)})),
       TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"BlockType02", forged(cat({Bytes{0x00, 0x02}, Bytes(k - 3 - t.size(), 0xFF), Bytes{0}, t})),
       TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"MissingZeroSeparator", forged(cat({Bytes{0x00, 0x01}, Bytes(k - 2 - t.size(), 0xFF), t})),
       TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"Sha1DigestInfo", forged(type1_block(k, cat({kSha1Info, sha1(prefix)}))),
       TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"LongFormDerLength", forged(type1_block(k, cat({kSha256InfoLongSequence, digest}))),
       TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"SZero", with_signature(raw, Bytes(k, 0)), TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"SEqualsN", with_signature(raw, n), TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"SAboveN", with_signature(raw, Bytes(k, 0xFF)), TEE_ERROR_SIGNATURE_INVALID, kNoKey},
  };
  {
    // sig_len = k - 1: a signature (over the header saying k - 1) whose first byte is zero,
    // stored without it.
    const auto [r, sig] = find_signature(raw, key, static_cast<uint32_t>(k - 1),
                                         [](const Bytes& s) { return s[0] == 0; });
    cases.push_back({"SigLenKMinus1", with_signature(r, Bytes(sig.begin() + 1, sig.end())),
                     TEE_ERROR_SIGNATURE_INVALID, kNoKey});
  }
  {
    auto sig =
        key.signer.sign(crypto::Sha256::of(signed_prefix(raw, static_cast<uint32_t>(k + 1))));
    ASSERT_TRUE(sig);
    cases.push_back({"SigLenKPlus1", with_signature(raw, cat({Bytes{0}, *sig})),
                     TEE_ERROR_SIGNATURE_INVALID, kNoKey});
  }
  ExpectAll(cases);
}

// ---- Class 9: ECDSA forgeries -> SIGNATURE_INVALID; s -> n - s is accepted ------------------

class TaEcdsaForgery : public TaAttack {};

const Bytes kP256Order = {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
                          0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17,
                          0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

TEST_P(TaEcdsaForgery, ForgedSignaturesAreRefusedAndHighSIsAccepted) {
  const TestKey& key = test_key("p256");
  const RawImage raw = decompose(signed_single("p256"));
  ASSERT_EQ(raw.signature.size(), 64u);
  const Bytes r(raw.signature.begin(), raw.signature.begin() + 32);
  const Bytes s(raw.signature.begin() + 32, raw.signature.end());
  std::vector<Case> cases = {
      {"RZero", with_signature(raw, cat({Bytes(32, 0), s})), TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"SZero", with_signature(raw, cat({r, Bytes(32, 0)})), TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"REqualsN", with_signature(raw, cat({kP256Order, s})), TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"SEqualsN", with_signature(raw, cat({r, kP256Order})), TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"AllOnes", with_signature(raw, Bytes(64, 0xFF)), TEE_ERROR_SIGNATURE_INVALID, kNoKey},
      {"RAndSSwapped", with_signature(raw, cat({s, r})), TEE_ERROR_SIGNATURE_INVALID, kNoKey},
  };
  {
    const auto [r63, sig] = find_signature(raw, key, 63, [](const Bytes& x) { return x[0] == 0; });
    cases.push_back({"Signature63Bytes", with_signature(r63, Bytes(sig.begin() + 1, sig.end())),
                     TEE_ERROR_SIGNATURE_INVALID, kNoKey});
  }
  {
    auto sig = key.signer.sign(crypto::Sha256::of(signed_prefix(raw, 65)));
    ASSERT_TRUE(sig);
    cases.push_back({"Signature65Bytes", with_signature(raw, cat({Bytes{0}, *sig})),
                     TEE_ERROR_SIGNATURE_INVALID, kNoKey});
  }
  {
    // A valid signature over the header saying 72, in DER form (exactly 72 bytes).
    const auto [r72, sig] = find_signature(raw, key, 72, [](const Bytes& x) {
      auto der = crypto::ecdsa_raw_to_der(x);
      return der && der->size() == 72;
    });
    cases.push_back({"Signature72BytesDer", with_signature(r72, *crypto::ecdsa_raw_to_der(sig)),
                     TEE_ERROR_SIGNATURE_INVALID, kNoKey});
  }
  ExpectAll(cases);
  // s -> n - s (high S) is the same signature for ECDSA: accepted.
  EXPECT_TRUE(
      LoadsExactlyThenReleases(m_, c_, with_signature(raw, cat({r, sub_be(kP256Order, s)}))));
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, assemble_raw(raw)));
}

// ---- Class 10: key confusion -> never verified with the attacker's key ----------------------

class TaKeyConfusion : public ::testing::TestWithParam<TransportKind> {
 protected:
  /// `image` is refused with SIGNATURE_INVALID and `needle` by a machine trusting `trust`.
  void ExpectRefused(const std::vector<std::string>& trust, const Bytes& image,
                     const std::string& needle = kNoKey) {
    MachineConfig config;
    config.trust = trust;
    MachineUnderTest m(GetParam(), config);
    RprocClient c(m.tee_name());
    ASSERT_EQ(c.open(0), TEEC_SUCCESS);
    EXPECT_TRUE(LoadRejected(m, c, image, TEE_ERROR_SIGNATURE_INVALID, needle));
    // The provisioned key still works.
    EXPECT_TRUE(LoadsExactlyThenReleases(m, c, demo_image(4096, trust.front())));
  }
};

TEST_P(TaKeyConfusion, EcdsaImageAgainstAProvisionedRsaKey) {
  ExpectRefused({"rsa2048"}, signed_single("p256"));
}

TEST_P(TaKeyConfusion, RsaImageAgainstAProvisionedEcdsaKey) {
  ExpectRefused({"p256"}, signed_single("rsa2048"));
}

TEST_P(TaKeyConfusion, KeyInfoCarryingTheAttackersRsaKey) {
  SignOptions options;
  options.key_info = test_key("rsa4096").verifier.key().spki_der();
  ExpectRefused({"rsa2048", "p256"},
                sign_elfs({vector_elf("rsc.elf")}, test_key("rsa4096"), options));
}

TEST_P(TaKeyConfusion, KeyInfoCarryingTheAttackersEcdsaKey) {
  auto priv = crypto::PrivateKey::generate(crypto::KeySpec::kP256);
  ASSERT_TRUE(priv);
  auto signer = crypto::Signer::create(*priv);
  auto verifier = crypto::Verifier::create(priv->public_key());
  ASSERT_TRUE(signer && verifier);
  const TestKey attacker{*priv, *signer, *verifier};
  SignOptions options;
  options.key_info = attacker.verifier.key().spki_der();
  ExpectRefused({"p256", "rsa2048"}, sign_elfs({vector_elf("rsc.elf")}, attacker, options));
}

TEST_P(TaKeyConfusion, SignTypeDisagreeingWithTheKey) {
  RawImage rsa = decompose(signed_single("rsa2048"));
  rsa.tlv(tlv::kSignType) = {2};
  ExpectRefused({"rsa2048", "p256"}, resign(rsa, test_key("rsa2048")),
                "SIGNTYPE says ECDSA P-256 SHA-256 but the image verified with an RSA key");
  RawImage ec = decompose(signed_single("p256"));
  ec.tlv(tlv::kSignType) = {1};
  ExpectRefused({"p256", "rsa2048"}, resign(ec, test_key("p256")),
                "SIGNTYPE says RSASSA-PKCS1-v1_5 SHA-256 but the image verified with an ECDSA "
                "P-256 key");
}

TEST_P(TaKeyConfusion, ForeignKeyInfoDoesNotStopTheProvisionedKey) {
  // Control: PKEYINFO is exposed, never trusted; a provisioned key that verifies is enough.
  MachineUnderTest m(GetParam());
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  SignOptions options;
  options.key_info = test_key("rsa4096").verifier.key().spki_der();
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, demo_image(4096, "rsa2048", options)));
}

// ---- Class 12: the resource table -> BAD_FORMAT; no section headers -> no table -------------

class TaResourceTable : public TaAttack {};

/// rsc.elf signed alone: .resource_table is section 3 at file offset 0x2000 (0x8c bytes),
/// the start of segment 1 (0x80a00000).
struct Single {
  RawImage raw = decompose(signed_single());
  Bytes& elf = raw.images[0];
  size_t rsc = section_index(elf, ".resource_table");
};

/// An image at 0x80000000 with its own resource table at 0x80080000.
Bytes second_firmware_with_table() {
  ElfBuilder b;
  Bytes code(0x40, 0x11);
  b.entry(0x80000001);
  const size_t text = b.add_segment({.paddr = 0x80000000, .data = code, .flags = 5});
  b.add_section({.name = ".text", .flags = 6, .segment = text, .offset = 0, .size = 0x40});
  const auto table = demo_resource_table();
  const size_t rseg = b.add_segment({.paddr = 0x80080000, .data = table, .flags = 4});
  b.add_section({.name = ".resource_table",
                 .segment = rseg,
                 .offset = 0,
                 .size = static_cast<uint32_t>(table.size())});
  return b.build();
}

TEST_P(TaResourceTable, UnmodifiedTableIsReported) {
  ASSERT_EQ(c_.load(signed_single()), TEEC_SUCCESS) << c_.last_error();
  uint64_t address = 0, size = 0;
  ASSERT_EQ(c_.rsc_table(address, size), TEEC_SUCCESS);
  EXPECT_EQ(address, 0x80A00000u);
  EXPECT_EQ(size, 0x8Cu);
}

TEST_P(TaResourceTable, MisplacedOrMalformedTablesAreRefused) {
  std::vector<Case> cases;
  {
    Single s;
    set_shdr(s.elf, s.rsc, Shdr::kOffset, kUnsignedSpot);
    cases.push_back({"PointsIntoUnsignedFileBytes", assemble_raw(s.raw), TEEC_ERROR_BAD_FORMAT,
                     "image 1 section 3 (.resource_table): file range [0x20e8, 0x2174) is not "
                     "inside the file bytes of a signed PT_LOAD segment of this image"});
  }
  {
    Single s;
    set_shdr(s.elf, s.rsc, Shdr::kOffset, 0x1040);
    set_shdr(s.elf, s.rsc, Shdr::kAddr, 0x80100040);
    set_shdr(s.elf, s.rsc, Shdr::kSize, 0x50);
    cases.push_back({"PointsIntoCode", assemble_raw(s.raw), TEEC_ERROR_BAD_FORMAT,
                     "image 1 section 3 (.resource_table): file range [0x1040, 0x1090) overlaps "
                     "code section 2 (.text)"});
  }
  {
    Single s;
    set_shdr(s.elf, s.rsc, Shdr::kSize, 0x10001);
    cases.push_back({"Oversized", assemble_raw(s.raw), TEEC_ERROR_BAD_FORMAT,
                     "(.resource_table): 65537 bytes, more than the 65536-byte limit"});
  }
  {
    Single s;
    const size_t names = get_u16(s.elf, ehdr::kShstrndx);
    const uint32_t name = get_shdr(s.elf, s.rsc, Shdr::kName);
    set_shdr(s.elf, names, Shdr::kSize, name + 15);  // cut right before the NUL
    cases.push_back(
        {"NameWithoutNul", assemble_raw(s.raw), TEEC_ERROR_BAD_FORMAT,
         fmt::format("image 1: section 3 name at offset {:#x} has no terminating NUL", name)});
  }
  cases.push_back(
      {"TwoTablesAcrossImages",
       sign_elfs({second_firmware_with_table(), vector_elf("rsc.elf")}, test_key("rsa2048")),
       TEEC_ERROR_BAD_FORMAT,
       "image 2 section 3 (.resource_table): a second resource table (the first is in "
       "image 1)"});
  for (size_t image = 0; image < 2; ++image) {
    {
      RawImage raw = decompose(signed_multi());
      auto& elf = raw.images[image];
      const uint16_t shnum = get_u16(elf, ehdr::kShnum);
      put_u16(elf, ehdr::kShstrndx, shnum);
      cases.push_back({fmt::format("ShstrndxEqualToShnumImage{}", image + 1), assemble_raw(raw),
                       TEEC_ERROR_BAD_FORMAT,
                       fmt::format("image {}: e_shstrndx ({}) is not below e_shnum ({})", image + 1,
                                   shnum, shnum)});
    }
    {
      RawImage raw = decompose(signed_multi());
      auto& elf = raw.images[image];
      const uint16_t shnum = get_u16(elf, ehdr::kShnum);
      const auto shoff = static_cast<uint32_t>(elf.size() - 40u * shnum + 8);
      put_u32(elf, ehdr::kShoff, shoff);
      cases.push_back({fmt::format("SectionTablePastImage{}", image + 1), assemble_raw(raw),
                       TEEC_ERROR_BAD_FORMAT,
                       fmt::format("image {}: section header table (e_shoff {:#x} + {} * 40 bytes) "
                                   "ends past the {:#x}-byte image",
                                   image + 1, shoff, shnum, elf.size())});
    }
  }
  ExpectAll(cases);
}

TEST_P(TaResourceTable, NoSectionHeadersAtAllMeansNoTable) {
  Single s;
  put_u16(s.elf, ehdr::kShnum, 0);
  put_u32(s.elf, ehdr::kShoff, 0);
  put_u16(s.elf, ehdr::kShstrndx, 0);
  const Bytes image = assemble_raw(s.raw);
  ASSERT_EQ(c_.load(image), TEEC_SUCCESS) << c_.last_error();
  EXPECT_TRUE(memory_holds_exactly(m_, image));
  uint64_t address = 1, size = 1;
  ASSERT_EQ(c_.rsc_table(address, size), TEEC_SUCCESS);
  EXPECT_EQ(address, 0u);
  EXPECT_EQ(size, 0u);
}

// ---- Class 13: per-image ELF header checks (image 2 included) -> BAD_FORMAT ------------------

class TaElfHeader : public TaAttack {};

TEST_P(TaElfHeader, BadHeadersInEitherImageAreRefused) {
  std::vector<Case> cases;
  for (size_t image = 0; image < 2; ++image) {
    auto add = [&](const std::string& name, const std::function<std::string(Bytes&)>& change) {
      RawImage raw = decompose(signed_multi());
      const std::string needle = change(raw.images[image]);
      cases.push_back({fmt::format("{}Image{}", name, image + 1), assemble_raw(raw),
                       TEEC_ERROR_BAD_FORMAT, fmt::format("image {}: {}", image + 1, needle)});
    };
    add("BadMagic", [](Bytes& e) {
      e.at(3) = 'G';
      return "ELF magic is 7f 45 4c 47, expected 7f 45 4c 46";
    });
    add("Elfclass64", [](Bytes& e) {
      e.at(ehdr::kClass) = 2;
      return "EI_CLASS is 2, expected 1 (ELFCLASS32)";
    });
    add("BigEndian", [](Bytes& e) {
      e.at(ehdr::kData) = 2;
      return "EI_DATA is 2, expected 1 (little-endian)";
    });
    add("Phentsize56", [](Bytes& e) {
      put_u16(e, ehdr::kPhentsize, 56);
      return "e_phentsize is 56, expected 32";
    });
    add("PhoffPastTheImage", [](Bytes& e) {
      const uint16_t phnum = get_u16(e, ehdr::kPhnum);
      const auto phoff = static_cast<uint32_t>(e.size() - 32u * phnum + 4);
      put_u32(e, ehdr::kPhoff, phoff);
      return fmt::format(
          "program header table (e_phoff {:#x} + {} * 32 bytes) ends past the "
          "{:#x}-byte image",
          phoff, phnum, e.size());
    });
    add("PhnumXnum", [](Bytes& e) {
      put_u16(e, ehdr::kPhnum, 0xFFFF);
      return "e_phnum is 0xffff (PN_XNUM, extended numbering), not supported";
    });
    add("MachineX86_64", [](Bytes& e) {
      put_u16(e, ehdr::kMachine, 62);
      return "e_machine is 62, expected 40 (EM_ARM)";
    });
  }
  ExpectAll(cases);
}

// ---- Class 14: segment semantics and memory regions -> BAD_FORMAT / ACCESS_DENIED -----------

class TaSegment : public TaAttack {};

/// `raw` with a signed program-header word changed in the ELF and the table, re-signed.
Bytes resigned_with(RawImage raw, size_t image, size_t phdr, Phdr field, uint32_t value) {
  set_signed_phdr(raw, image, phdr, field, value);
  return resign(raw, test_key("rsa2048"));
}

TEST_P(TaSegment, BadSegmentSemanticsAreRefused) {
  const RawImage single = decompose(signed_single());
  const RawImage multi = decompose(signed_multi());
  const std::vector<Case> cases = {
      {"MemszSmallerThanFilesz", resigned_with(single, 0, 1, Phdr::kMemsz, 0x8b),
       TEEC_ERROR_BAD_FORMAT, "image 1 segment 1: p_filesz (0x8c) is larger than p_memsz (0x8b)"},
      {"MemszSmallerThanFileszImage2", resigned_with(multi, 1, 1, Phdr::kMemsz, 0x10),
       TEEC_ERROR_BAD_FORMAT, "image 2 segment 1: p_filesz (0x8c) is larger than p_memsz (0x10)"},
      {"Overlapping", resigned_with(single, 0, 1, Phdr::kPaddr, 0x80100080), TEEC_ERROR_BAD_FORMAT,
       "segments overlap: image 1 segment 0 [0x80100000, 0x80100090) and image 1 segment 1 "
       "[0x80100080, 0x80100510)"},
      {"OverlappingAcrossImages", resigned_with(multi, 0, 0, Phdr::kPaddr, 0x800FFF00),
       TEEC_ERROR_BAD_FORMAT,
       "segments overlap: image 1 segment 0 [0x800fff00, 0x8010002c) and image 2 segment 0 "
       "[0x80100000, 0x80100090)"},
      // cm33-tfm [0x80000000, 0x80100000) and cm33-firmware [0x80100000, 0x80900000) touch.
      {"StraddlingTfmAndFirmware", resigned_with(single, 0, 0, Phdr::kPaddr, 0x800FFF80),
       TEEC_ERROR_ACCESS_DENIED,
       "image 1 segment 0 [0x800fff80, 0x80100010) is not inside one memory region of the "
       "processor"},
      // cm33-data ends at 0x81200000 where ipc-shmem starts.
      {"StraddlingDataAndIpcShmem", resigned_with(single, 0, 1, Phdr::kPaddr, 0x811FFF00),
       TEEC_ERROR_ACCESS_DENIED,
       "image 1 segment 1 [0x811fff00, 0x81200390) is not inside one memory region of the "
       "processor"},
      // Between cm33-firmware and cm33-data: no region at all.
      {"InTheGapBetweenRegions", resigned_with(single, 0, 1, Phdr::kPaddr, 0x80900000),
       TEEC_ERROR_ACCESS_DENIED,
       "image 1 segment 1 [0x80900000, 0x80900490) is not inside one memory region of the "
       "processor"},
      {"RunningOutOfItsRegion", resigned_with(single, 0, 1, Phdr::kPaddr, 0x808FFF00),
       TEEC_ERROR_ACCESS_DENIED,
       "image 1 segment 1 [0x808fff00, 0x80900390) is not inside one memory region"},
      {"FarOutside", resigned_with(single, 0, 1, Phdr::kPaddr, 0x90000000),
       TEEC_ERROR_ACCESS_DENIED,
       "image 1 segment 1 [0x90000000, 0x90000490) is not inside one memory region"},
      {"AddressWraps", resigned_with(single, 0, 0, Phdr::kPaddr, 0xFFFFFF80), TEEC_ERROR_BAD_FORMAT,
       "image 1 segment 0: p_paddr (0xffffff80) + p_memsz (0x90) wraps past 4 GiB"},
  };
  ExpectAll(cases);
}

TEST_P(TaSegment, ResignedUnchangedHeaderLoads) {
  // Control for the cases above: set_signed_phdr + resign keep the image valid.
  EXPECT_TRUE(LoadsExactlyThenReleases(
      m_, c_, resigned_with(decompose(signed_multi()), 1, 1, Phdr::kMemsz, 0x490)));
}

TEST_P(TaSegment, SegmentInAnotherProcessorsRegionIsRefused) {
  // On the dual preset, m1-firmware (0x82000000) belongs to processor 1: processor 0 may not
  // load there, and processor 1's memory stays untouched.
  MachineConfig config;
  config.preset = "stm32mp25-dual";
  MachineUnderTest m(GetParam(), config);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  EXPECT_TRUE(LoadRejected(
      m, c, resigned_with(decompose(signed_single()), 0, 1, Phdr::kPaddr, 0x82000000),
      TEEC_ERROR_ACCESS_DENIED,
      "image 1 segment 1 [0x82000000, 0x82000490) is not inside one memory region of the "
      "processor"));
  EXPECT_TRUE(m.memories_zero(1));
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, demo_image()));
}

INSTANTIATE_TEST_SUITE_P(Transports, TaOmittedSegment,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaReorderedHeaders,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaMixedImages,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaHeaderLengths,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaUnsignedChange,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaNonCanonicalTlv,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaRsaForgery,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaEcdsaForgery,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaKeyConfusion,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaResourceTable,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaElfHeader,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);
INSTANTIATE_TEST_SUITE_P(Transports, TaSegment,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);

}  // namespace
}  // namespace rproctee::test
