// security.md attack classes 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13 and 14 against the trusted
// application itself: every crafted image goes through TEEC_AllocateSharedMemory + LOAD_FW into
// a machine (over the in-process and the socket transport), and every rejection must carry the
// exact TEE code, origin TRUSTED_APP, the TA's reason (GET_LAST_ERROR), leave the state OFF
// (START and GET_RSC_TABLE answer BAD_STATE) and every memory of the processor zero; a valid
// LOAD afterwards must load exactly its signed bytes. The attack tables are shared with the
// offline verifier's tests (security/attack_cases.hpp): the TA runs a selection of their rows
// and must give the same answers. The rows that only a TA can answer are defined here: header
// lengths, unsigned changes and forged signatures (the TA names no key), and what only a
// platform can check, segments straddling two regions or outside every region of the
// processor (platforms/stm32mp25-m33.dtsi).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/byte_reader.hpp"
#include "crypto/ecdsa_p256.hpp"
#include "image/format.hpp"
#include "security/attack_cases.hpp"
#include "support/forgery.hpp"
#include "ta_attack_support.hpp"

namespace rproctee::test {
namespace {

using namespace attack;     // NOLINT(google-build-using-namespace)
using namespace forgery;    // NOLINT(google-build-using-namespace)
using namespace ta_attack;  // NOLINT(google-build-using-namespace)
namespace tlv = image::tlv;

/// The generic reason of a signature that verifies with no provisioned key.
constexpr const char* kNoKey =
    "the signature over the header and TLVs verifies with none of the provisioned keys";

/// A row that only the TA answers: the file of `base` after `mutate`, sealed as is.
ImageAttack ta_row(std::string name, std::function<Bytes()> base,
                   std::function<void(RawImage&)> mutate, TeeCode code, Fragment message,
                   Seal seal = as_is) {
  return {std::move(name),   std::move(base), std::move(mutate), std::move(seal), code, "",
          std::move(message)};
}

/// The rows of a table, through LOAD_FW.
class TaImageAttacks : public TaAttackTable {};

TEST_P(TaImageAttacks, RefusedThenAValidImageLoads) {
  EXPECT_TRUE(RejectedThenRecovers(row()));
}

// ---- Classes 1 and 2: signed segments omitted; duplicated / swapped / moved headers ---------

INSTANTIATE_TEST_SUITE_P(
    Class1And2, TaImageAttacks,
    ta_attack_rows(rows_named(program_header_attacks(),
                              {"PtNullHidesTheSecondSegment", "PtNullHidesTheFirstSegment",
                               "PtNullInImage2", "PhnumMinusOneDropsTheLastSegment",
                               "PhnumMinusOneInImage2", "DuplicatedProgramHeaderReplacesAnother",
                               "DuplicatedProgramHeaderAppended", "SwappedProgramHeaders",
                               "MovedSegmentWhoseBytesStillMatchTheDigest", "MovedLoadAddress"})),
    ta_row_name);

// ---- Class 3: LOAD A, STOP, LOAD B that fails in segment 2 -> nothing of A or B survives ------

class TaMixedImages : public TaAttackFixture {
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
  b.add_code(0x80100000, Bytes(0x3000, 0x5A), 0x80E00000);
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

/// Upstream's 32-bit ROUNDUP wraps for these: a header saying them must be refused before
/// anything else is read, whether or not the file has the bytes a wrapped length predicts.
std::vector<ImageAttack> header_length_attacks() {
  std::vector<ImageAttack> rows;
  const auto add = [&](std::string name, std::function<void(RawImage&)> mutate, Fragment message) {
    rows.push_back(ta_row(std::move(name), single_image, std::move(mutate), TeeCode::kBadParameters,
                          std::move(message)));
  };
  // tlv_len and sign_len, each in a file as signed and in one without the bytes (TLV area,
  // signature) that the wrapped round-up predicts.
  const struct {
    const char* row;
    std::optional<uint32_t> RawImage::*field;
    const char* message;  // {:#x}: the length
    const char* without;
    void (*drop)(RawImage&);
  } lengths[] = {
      {"TlvLen", &RawImage::tlv_len, "header tlv_len is {:#x}, more than the 0x100000-byte limit",
       "WithoutTlvArea", [](RawImage& raw) { raw.tlvs.clear(); }},
      {"SignLen", &RawImage::sign_len, "header sign_len is {:#x}, more than the 1024-byte limit",
       "WithoutSignature", [](RawImage& raw) { raw.signature.clear(); }},
  };
  for (uint32_t v = 0xFFFFFFF9; v != 0; ++v)
    for (const auto& length : lengths)
      for (const bool drop : {false, true})
        add(
            fmt::format("{}{:#x}{}", length.row, v, drop ? length.without : ""),
            [v, field = length.field, drop = drop ? length.drop : nullptr](RawImage& raw) {
              if (drop) drop(raw);
              raw.*field = v;
            },
            fmt::format(fmt::runtime(length.message), v));
  for (const uint32_t v : {0x80000000u, 0xFFFFFFF8u, 0xFFFFFFF9u, 0xFFFFFFFFu})
    add(
        fmt::format("ImgLen{:#x}", v), [v](RawImage& raw) { raw.img_len = v; },
        [v](const RawImage& u) {
          const size_t size = assemble_raw(u).size();
          const uint64_t total = 20 + round_up8(attack::tlv_len(u)) + 256 + round_up8(v);
          return fmt::format("file is {} bytes shorter than the header says ({} vs {})",
                             total - size, size, total);
        });
  rows.push_back(ta_row(
      "Truncated19Bytes", single_image, [](RawImage&) {}, TeeCode::kBadParameters,
      "image is 19 bytes, smaller than the 20-byte header",
      [](const RawImage& raw) {
        Bytes file = assemble_raw(raw);
        file.resize(19);
        return file;
      }));
  add(
      "Magic", [](RawImage& raw) { raw.magic ^= 1; },
      "header magic is 0x3543a469, expected 0x3543a468");
  return rows;
}

INSTANTIATE_TEST_SUITE_P(Class4, TaImageAttacks, ta_attack_rows(header_length_attacks()),
                         ta_row_name);

// ---- Class 6: header/TLV bytes changed without re-signing -> SIGNATURE_INVALID --------------

class TaUnsignedChange : public TaAttackFixture {};

/// Size of header || TLV area.
size_t signed_size(const Bytes& file) {
  return 20 + round_up8(get_u32(file, 8));
}

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

/// Without re-signing, a TLV area that would be BAD_FORMAT / NO_DATA answers SIGNATURE_INVALID:
/// the TLVs are never looked at before the signature verified.
std::vector<ImageAttack> unsigned_change_attacks() {
  const auto row = [](std::string name, std::function<void(RawImage&)> mutate) {
    return ta_row(std::move(name), single_image, std::move(mutate), TeeCode::kSignatureInvalid,
                  kNoKey);
  };
  return {
      row("DuplicateSignType",
          [](RawImage& raw) { raw.tlvs.emplace_back(tlv::kSignType, Bytes{1}); }),
      row("NumImg0", [](RawImage& raw) { raw.tlv(tlv::kNumImg) = {0}; }),
      row("TrailingBytes", [](RawImage& raw) { raw.extra_tlv_bytes = Bytes(4, 0xEE); }),
      row("SignatureByte", [](RawImage& raw) { raw.signature.at(17) ^= 0x01; }),
  };
}

INSTANTIATE_TEST_SUITE_P(Class6, TaImageAttacks, ta_attack_rows(unsigned_change_attacks()),
                         ta_row_name);

// ---- Class 7: re-signed, non-canonical TLV areas -> BAD_FORMAT / BAD_PARAMETERS / NO_DATA ----

INSTANTIATE_TEST_SUITE_P(
    Class7, TaImageAttacks,
    ta_attack_rows(rows_named(tlv_attacks(),
                              {"TrailingBytesTooShortForATlvHeader_4", "TlvOverrunningTheArea",
                               "DuplicateSignType", "DuplicateHashTable", "SignTypeLength2",
                               "HashType2", "NumImg0", "ImgTypeLongerThanNumImg",
                               "ImgTypeShorterThanNumImgInMulti", "ImgSizeSumAboveImgLen",
                               "ImgSizeSumMismatchThroughImage2", "RequiredTlvMissing_HASHTABLE"})),
    ta_row_name);

class TaNonCanonicalTlv : public TaAttackFixture {};

TEST_P(TaNonCanonicalTlv, ResignedCanonicalVariantsLoad) {
  // Controls: re-signing alone, a free TLV order and unknown platform TLVs never cause a
  // rejection, so the refusals of the Class7 rows come from the mutations.
  RawImage raw = decompose(signed_multi());
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, resign(raw, test_key("rsa2048"))));
  std::reverse(raw.tlvs.begin(), raw.tlvs.end());
  raw.tlvs.emplace_back(0x1FFFF, le32(0xDEADBEEF));
  raw.tlvs.emplace_back(tlv::kPKeyInfo, Bytes{'k', 'i'});
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, resign(raw, test_key("rsa2048"))));
}

// ---- Class 8: RSA forgeries -> SIGNATURE_INVALID ----------------------------------------------

/// Stores `signature` verbatim, with the header's sign_len = its size.
void set_signature(RawImage& raw, Bytes signature) {
  raw.sign_len = static_cast<uint32_t>(signature.size());
  raw.signature = std::move(signature);
}

/// What an EMSA-PKCS1-v1_5 block over the rsa2048 single image needs.
struct RsaBlockInput {
  size_t k;      // modulus length
  Bytes prefix;  // the signed bytes (sign_len = k)
  Bytes digest;  // their SHA-256
  Bytes t;       // DigestInfo || digest
};

RsaBlockInput rsa_block_input(const RawImage& raw) {
  const size_t k = test_key("rsa2048").signer.signature_size();
  RsaBlockInput in{k, signed_prefix(raw, static_cast<uint32_t>(k)), {}, {}};
  const auto h = crypto::Sha256::of(in.prefix);
  in.digest.assign(h.begin(), h.end());
  in.t = cat({kSha256Info, in.digest});
  return in;
}

/// A forged signature of the rsa2048 single image.
ImageAttack rsa_forgery(std::string name, std::function<void(RawImage&)> forge) {
  return ta_row(std::move(name), single_image, std::move(forge), TeeCode::kSignatureInvalid,
                kNoKey);
}

/// The signature is the raw RSA operation on `block` (a malformed encoded message).
ImageAttack rsa_block_forgery(std::string name, std::function<Bytes(const RsaBlockInput&)> block) {
  return rsa_forgery(std::move(name), [block](RawImage& raw) {
    set_signature(raw, rsa_private_raw(test_key("rsa2048"), block(rsa_block_input(raw))));
  });
}

std::vector<ImageAttack> rsa_forgeries() {
  const auto k = [] { return test_key("rsa2048").signer.signature_size(); };
  return {
      rsa_block_forgery("GarbageAfterTheDigest",
                        [](const RsaBlockInput& in) {
                          return type1_block(in.k, cat({in.t, Bytes{0xDE, 0xAD, 0xBE, 0xEF}}));
                        }),
      rsa_block_forgery("PaddingOf7Bytes",
                        [](const RsaBlockInput& in) {
                          return cat({Bytes{0x00, 0x01}, Bytes(7, 0xFF), Bytes{0x00}, in.t,
                                      Bytes(in.k - 10 - in.t.size(), 0)});
                        }),
      rsa_block_forgery(
          "BlockType02",
          [](const RsaBlockInput& in) {
            return cat({Bytes{0x00, 0x02}, Bytes(in.k - 3 - in.t.size(), 0xFF), Bytes{0}, in.t});
          }),
      rsa_block_forgery(
          "MissingZeroSeparator",
          [](const RsaBlockInput& in) {
            return cat({Bytes{0x00, 0x01}, Bytes(in.k - 2 - in.t.size(), 0xFF), in.t});
          }),
      rsa_block_forgery("Sha1DigestInfo",
                        [](const RsaBlockInput& in) {
                          return type1_block(in.k, cat({kSha1Info, sha1(in.prefix)}));
                        }),
      rsa_block_forgery("LongFormDerLength",
                        [](const RsaBlockInput& in) {
                          return type1_block(in.k, cat({kSha256InfoLongSequence, in.digest}));
                        }),
      rsa_forgery("SZero", [k](RawImage& raw) { set_signature(raw, Bytes(k(), 0)); }),
      rsa_forgery("SEqualsN",
                  [](RawImage& raw) { set_signature(raw, rsa_modulus(test_key("rsa2048"))); }),
      rsa_forgery("SAboveN", [k](RawImage& raw) { set_signature(raw, Bytes(k(), 0xFF)); }),
      // sig_len = k - 1: a signature (over the header saying k - 1) whose first byte is zero,
      // stored without it.
      rsa_forgery("SigLenKMinus1",
                  [k](RawImage& raw) {
                    auto [found, sig] =
                        find_signature(raw, test_key("rsa2048"), static_cast<uint32_t>(k() - 1),
                                       [](const Bytes& s) { return s[0] == 0; });
                    raw = std::move(found);
                    set_signature(raw, Bytes(sig.begin() + 1, sig.end()));
                  }),
      rsa_forgery("SigLenKPlus1",
                  [k](RawImage& raw) {
                    auto sig = test_key("rsa2048").signer.sign(
                        signed_digest(raw, static_cast<uint32_t>(k() + 1)));
                    if (!sig) throw std::runtime_error(sig.error().message);
                    set_signature(raw, cat({Bytes{0}, *sig}));
                  }),
  };
}

INSTANTIATE_TEST_SUITE_P(Class8, TaImageAttacks, ta_attack_rows(rsa_forgeries()), ta_row_name);

class TaRsaForgery : public TaAttackFixture {};

TEST_P(TaRsaForgery, CorrectBlockBuiltByTheHelperLoads) {
  // Control for the Class8 rows: the block built as they do, raw-signed, is the correct
  // signature.
  RawImage raw = decompose(signed_single());
  const RsaBlockInput in = rsa_block_input(raw);
  set_signature(raw, rsa_private_raw(test_key("rsa2048"), type1_block(in.k, in.t)));
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, assemble_raw(raw)));
}

// ---- Class 9: ECDSA forgeries -> SIGNATURE_INVALID; s -> n - s is accepted ------------------

Bytes p256_single_image() {
  return signed_single("p256");
}

/// A forged signature of the p256 single image.
ImageAttack ecdsa_forgery(std::string name, std::function<void(RawImage&)> forge) {
  return ta_row(std::move(name), p256_single_image, std::move(forge), TeeCode::kSignatureInvalid,
                kNoKey);
}

/// The signature made of `rs(r, s)`, r and s those of the image's valid signature.
ImageAttack ecdsa_rs_forgery(std::string name,
                             std::function<Bytes(const Bytes& r, const Bytes& s)> rs) {
  return ecdsa_forgery(std::move(name), [rs](RawImage& raw) {
    const Bytes r(raw.signature.begin(), raw.signature.begin() + 32);
    const Bytes s(raw.signature.begin() + 32, raw.signature.end());
    set_signature(raw, rs(r, s));
  });
}

/// A valid signature over the header saying `sign_len`, stored as `store` makes it.
ImageAttack ecdsa_length_forgery(std::string name, uint32_t sign_len,
                                 std::function<bool(const Bytes&)> accept,
                                 std::function<Bytes(const Bytes&)> store) {
  return ecdsa_forgery(std::move(name), [=](RawImage& raw) {
    auto [found, sig] = find_signature(raw, test_key("p256"), sign_len, accept);
    raw = std::move(found);
    set_signature(raw, store(sig));
  });
}

std::vector<ImageAttack> ecdsa_forgeries() {
  return {
      ecdsa_rs_forgery("RZero",
                       [](const Bytes&, const Bytes& s) {
                         return cat({Bytes(32, 0), s});
                       }),
      ecdsa_rs_forgery("SZero",
                       [](const Bytes& r, const Bytes&) {
                         return cat({r, Bytes(32, 0)});
                       }),
      ecdsa_rs_forgery("REqualsN",
                       [](const Bytes&, const Bytes& s) {
                         return cat({kP256Order, s});
                       }),
      ecdsa_rs_forgery("SEqualsN",
                       [](const Bytes& r, const Bytes&) {
                         return cat({r, kP256Order});
                       }),
      ecdsa_rs_forgery("AllOnes", [](const Bytes&, const Bytes&) { return Bytes(64, 0xFF); }),
      ecdsa_rs_forgery("RAndSSwapped",
                       [](const Bytes& r, const Bytes& s) {
                         return cat({s, r});
                       }),
      // r starting with a zero byte, stored as 63 bytes (sign_len = 63).
      ecdsa_length_forgery(
          "Signature63Bytes", 63, [](const Bytes& s) { return s[0] == 0; },
          [](const Bytes& s) { return Bytes(s.begin() + 1, s.end()); }),
      ecdsa_length_forgery(
          "Signature65Bytes", 65, [](const Bytes&) { return true; },
          [](const Bytes& s) {
            return cat({Bytes{0}, s});
          }),
      // DER form (exactly 72 bytes when both r and s have their top bit set), sign_len = 72.
      ecdsa_length_forgery(
          "Signature72BytesDer", 72,
          [](const Bytes& s) {
            auto der = crypto::ecdsa_raw_to_der(s);
            return der && der->size() == 72;
          },
          [](const Bytes& s) { return *crypto::ecdsa_raw_to_der(s); }),
  };
}

INSTANTIATE_TEST_SUITE_P(Class9, TaImageAttacks, ta_attack_rows(ecdsa_forgeries()), ta_row_name);

class TaEcdsaForgery : public TaAttackFixture {};

TEST_P(TaEcdsaForgery, HighSAndTheOriginalSignatureLoad) {
  // s -> n - s (high S) is the same signature for ECDSA: accepted.
  RawImage raw = decompose(signed_single("p256"));
  ASSERT_EQ(raw.signature.size(), 64u);
  const Bytes r(raw.signature.begin(), raw.signature.begin() + 32);
  const Bytes s(raw.signature.begin() + 32, raw.signature.end());
  const Bytes original = assemble_raw(raw);
  set_signature(raw, cat({r, sub_be(kP256Order, s)}));
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, assemble_raw(raw)));
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, original));
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
  SignOptions options;
  options.key_info = attacker_p256().verifier.key().spki_der();
  ExpectRefused({"p256", "rsa2048"}, sign_elfs({vector_elf("rsc.elf")}, attacker_p256(), options));
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

INSTANTIATE_TEST_SUITE_P(
    Class12, TaImageAttacks,
    ta_attack_rows(rows_named(resource_table_attacks(),
                              {"PointsIntoUnsignedFileBytes", "PointsIntoCode", "Oversized65537",
                               "NameWithoutNul", "TwoTablesAcrossImagesSecondInRscElf",
                               "Image1_ShstrndxEqualToShnum", "Image1_SectionTablePastTheImage",
                               "Image2_ShstrndxEqualToShnum", "Image2_SectionTablePastTheImage"})),
    ta_row_name);

class TaResourceTable : public TaAttackFixture {};

TEST_P(TaResourceTable, UnmodifiedTableIsReported) {
  ASSERT_EQ(c_.load(signed_single()), TEEC_SUCCESS) << c_.last_error();
  uint64_t address = 0, size = 0;
  ASSERT_EQ(c_.rsc_table(address, size), TEEC_SUCCESS);
  EXPECT_EQ(address, 0x80A00000u);
  EXPECT_EQ(size, 0x8Cu);
}

TEST_P(TaResourceTable, NoSectionHeadersAtAllMeansNoTable) {
  RawImage raw = decompose(signed_single());
  auto& elf = raw.images[0];
  put_u16(elf, ehdr::kShnum, 0);
  put_u32(elf, ehdr::kShoff, 0);
  put_u16(elf, ehdr::kShstrndx, 0);
  const Bytes image = assemble_raw(raw);
  ASSERT_EQ(c_.load(image), TEEC_SUCCESS) << c_.last_error();
  EXPECT_TRUE(memory_holds_exactly(m_, image));
  uint64_t address = 1, size = 1;
  ASSERT_EQ(c_.rsc_table(address, size), TEEC_SUCCESS);
  EXPECT_EQ(address, 0u);
  EXPECT_EQ(size, 0u);
}

// ---- Class 13: per-image ELF header checks (image 2 included) -> BAD_FORMAT ------------------

INSTANTIATE_TEST_SUITE_P(
    Class13, TaImageAttacks,
    ta_attack_rows(rows_named(elf_header_attacks(),
                              {"Image1_BadMagic", "Image1_Elfclass64", "Image1_BigEndian",
                               "Image1_Phentsize56", "Image1_PhoffPastTheImage", "Image1_PhnumXnum",
                               "Image1_MachineX86_64", "Image2_BadMagic", "Image2_Elfclass64",
                               "Image2_BigEndian", "Image2_Phentsize56", "Image2_PhoffPastTheImage",
                               "Image2_PhnumXnum", "Image2_MachineX86_64"})),
    ta_row_name);

// ---- Class 14: segment semantics and memory regions -> BAD_FORMAT / ACCESS_DENIED -----------

INSTANTIATE_TEST_SUITE_P(
    Class14, TaImageAttacks,
    ta_attack_rows(rows_named(segment_attacks(),
                              {"MemszSmallerThanFilesz", "MemszSmallerThanFileszInImage2",
                               "OverlappingSegmentsInOneImage", "OverlappingSegmentsAcrossImages",
                               "AddressWrapsPast4GiB"})),
    ta_row_name);

/// rsc.elf's segment `phdr` moved to `paddr` (in the ELF and the signed table, re-signed):
/// outside the processor's memory regions of platforms/stm32mp25-m33.dtsi.
ImageAttack moved_segment(std::string name, size_t phdr, uint32_t paddr, std::string message) {
  return ta_row(
      std::move(name), single_image,
      [phdr, paddr](RawImage& raw) { set_signed_phdr(raw, 0, phdr, Phdr::kPaddr, paddr); },
      TeeCode::kAccessDenied, std::move(message), resigned);
}

std::vector<ImageAttack> region_attacks() {
  return {
      // cm33-tfm [0x80000000, 0x80100000) and cm33-firmware [0x80100000, 0x80900000) touch.
      moved_segment("StraddlingTfmAndFirmware", 0, 0x800FFF80,
                    "image 1 segment 0 [0x800fff80, 0x80100010) is not inside one memory region "
                    "of the processor"),
      // cm33-data ends at 0x81200000 where ipc-shmem starts.
      moved_segment("StraddlingDataAndIpcShmem", 1, 0x811FFF00,
                    "image 1 segment 1 [0x811fff00, 0x81200390) is not inside one memory region "
                    "of the processor"),
      // Between cm33-firmware and cm33-data: no region at all.
      moved_segment("InTheGapBetweenRegions", 1, 0x80900000,
                    "image 1 segment 1 [0x80900000, 0x80900490) is not inside one memory region "
                    "of the processor"),
      moved_segment("RunningOutOfItsRegion", 1, 0x808FFF00,
                    "image 1 segment 1 [0x808fff00, 0x80900390) is not inside one memory region"),
      moved_segment("FarOutside", 1, 0x90000000,
                    "image 1 segment 1 [0x90000000, 0x90000490) is not inside one memory region"),
  };
}

INSTANTIATE_TEST_SUITE_P(Regions, TaImageAttacks, ta_attack_rows(region_attacks()), ta_row_name);

class TaSegment : public TaAttackFixture {};

TEST_P(TaSegment, ResignedUnchangedHeaderLoads) {
  // Control for the Class14 rows: set_signed_phdr + resign keep the image valid.
  RawImage raw = decompose(signed_multi());
  set_signed_phdr(raw, 1, 1, Phdr::kMemsz, 0x490);
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, resign(raw, test_key("rsa2048"))));
}

TEST_P(TaSegment, SegmentInAnotherProcessorsRegionIsRefused) {
  // On the dual preset, m1-firmware (0x82000000) belongs to processor 1: processor 0 may not
  // load there, and processor 1's memory stays untouched.
  MachineConfig config;
  config.preset = "stm32mp25-dual";
  MachineUnderTest m(GetParam(), config);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  RawImage raw = decompose(signed_single());
  set_signed_phdr(raw, 0, 1, Phdr::kPaddr, 0x82000000);
  EXPECT_TRUE(LoadRejected(
      m, c, resign(raw, test_key("rsa2048")), TEEC_ERROR_ACCESS_DENIED,
      "image 1 segment 1 [0x82000000, 0x82000490) is not inside one memory region of the "
      "processor"));
  EXPECT_TRUE(m.memories_zero(1));
  EXPECT_TRUE(LoadsExactlyThenReleases(m, c, demo_image()));
}

INSTANTIATE_TEST_SUITE_P(Transports, TaMixedImages,
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
INSTANTIATE_TEST_SUITE_P(Transports, TaSegment,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);

}  // namespace
}  // namespace rproctee::test
