// Every signed vector (both reference signers, multi-image with BOOTADDR/BOOTSEC, the encrypted
// one, ST's production image) loads into the STM32MP25 preset, and GET_RSC_TABLE answers the
// address and size found in the ELF.
#include <gtest/gtest.h>

#include "image/container.hpp"
#include "image/load_plan.hpp"
#include "image/signed_tlvs.hpp"
#include "image/tlv.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;

struct Vector {
  std::string name;
  fs::path file, key;
  bool encrypted = false;
};

std::vector<Vector> all_vectors() {
  std::vector<Vector> out;
  for (const VectorRow& row : vector_rows()) {
    const fs::path dir = row.vendor() ? shared_vectors_dir() : vectors_dir();
    out.push_back({row.name, dir / "signed" / (row.name + ".sign"), dir / row.verify_key,
                   row.name == "st_encrypted"});
  }
  out.push_back({"st_mp257_usbpd_ucsi",
                 shared_vectors_dir() / "real" / "st_mp257_usbpd_ucsi_cm33_ns.sign",
                 shared_vectors_dir() / "keys" / "st_default.pub.pem", false});
  return out;
}

/// The resource table (address, size) the ELF files of a signed image declare.
std::pair<uint64_t, uint64_t> expected_table(const std::vector<uint8_t>& file) {
  auto areas = image::split_container(file);
  std::vector<image::Tlv> tlvs;
  EXPECT_TRUE(image::walk_tlvs(areas->tlv_area, areas->layout.header.tlv_len, tlvs));
  auto decoded = image::decode_signed_tlvs(tlvs, areas->layout.header.img_len);
  std::vector<image::Elf32View> views;
  for (auto slot : image::split_images(areas->images, decoded->image_sizes))
    views.push_back(*image::Elf32View::parse(slot, "image"));
  auto plan = image::plan_load(*decoded, views);
  auto loc = image::locate_resource_table(views, *plan);
  if (!loc || !*loc) return {0, 0};
  return {(*loc)->address, (*loc)->size};
}

void PrintTo(const Vector& v, std::ostream* os) {
  *os << v.name;
}

class Interop : public ::testing::TestWithParam<std::tuple<Vector, TransportKind>> {};

TEST_P(Interop, LoadsIntoTheStm32mp25Preset) {
  const auto& [v, transport] = GetParam();
  if (!fs::exists(v.file) || !fs::exists(v.key))
    GTEST_SKIP() << v.name << " needs ../shared/vectors";
  MachineConfig config;
  config.trust = {};
  config.trust_files = {v.key.string()};
  if (v.encrypted)
    config.aes_key = read_bytes(shared_vectors_dir() / "keys" / "st_rproc_enc_test_key.bin");
  MachineUnderTest m(transport, config);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  const auto file = read_bytes(v.file);
  ASSERT_EQ(c.load(file), TEEC_SUCCESS) << c.last_error();
  uint64_t address = 0, size = 0;
  ASSERT_EQ(c.rsc_table(address, size), TEEC_SUCCESS);
  const auto [want_address, want_size] = expected_table(file);
  EXPECT_EQ(address, want_address);
  EXPECT_EQ(size, want_size);
  if (!v.encrypted) {
    EXPECT_TRUE(memory_holds_exactly(m, file));
  }
  ASSERT_EQ(c.start(), TEEC_SUCCESS);
  ASSERT_EQ(c.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m.memories_zero());
}

TEST(Interop, EncryptedImageIsDecryptedInMemory) {
  if (!have_shared_vectors()) GTEST_SKIP() << "needs ../shared/vectors";
  MachineConfig config;
  config.trust = {};
  config.trust_files = {(shared_vectors_dir() / "keys" / "st_default.pub.pem").string()};
  config.aes_key = read_bytes(shared_vectors_dir() / "keys" / "st_rproc_enc_test_key.bin");
  MachineUnderTest m(TransportKind::kInProcess, config);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  ASSERT_EQ(c.load(read_bytes(shared_vectors_dir() / "signed" / "st_encrypted.sign")), TEEC_SUCCESS)
      << c.last_error();
  // Memory holds the plaintext segments of the ELF that was encrypted.
  const auto plain = read_bytes(vectors_dir() / "elf" / "rsc_aligned16.elf");
  EXPECT_EQ(m.read(0x80100000, 0x90),
            std::vector<uint8_t>(plain.begin() + 0x1000, plain.begin() + 0x1090));
  EXPECT_EQ(m.read(0x80a00000, 0x90),
            std::vector<uint8_t>(plain.begin() + 0x2000, plain.begin() + 0x2090));
}

TEST(Interop, EncryptedImageWithoutAProvisionedKeyIsRefused) {
  if (!have_shared_vectors()) GTEST_SKIP() << "needs ../shared/vectors";
  MachineConfig config;
  config.trust = {};
  config.trust_files = {(shared_vectors_dir() / "keys" / "st_default.pub.pem").string()};
  MachineUnderTest m(TransportKind::kInProcess, config);
  RprocClient c(m.tee_name());
  ASSERT_EQ(c.open(0), TEEC_SUCCESS);
  EXPECT_EQ(c.load(read_bytes(shared_vectors_dir() / "signed" / "st_encrypted.sign")),
            TEEC_ERROR_NOT_SUPPORTED);
  EXPECT_TRUE(m.memories_zero());
}

std::vector<std::tuple<Vector, TransportKind>> cases() {
  std::vector<std::tuple<Vector, TransportKind>> out;
  for (const auto& v : all_vectors())
    for (auto t : {TransportKind::kInProcess, TransportKind::kSocket}) out.emplace_back(v, t);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Vectors, Interop, ::testing::ValuesIn(cases()), [](const auto& p) {
  return std::get<0>(p.param).name + "_" + transport_name(std::get<1>(p.param));
});

}  // namespace
}  // namespace rproctee::test
