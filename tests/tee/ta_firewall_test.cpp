// security.md attack class 15 (H14, the firewall): the normal world only ever receives the
// descriptors of non-secure regions (kMapRegions, over both transports): never cm33-tfm,
// cm33-firmware, cm33-data or retram. Writing through everything it did receive after LOAD
// changes none of the firewalled segments, and START still runs exactly the signed bytes. The
// received descriptors are sealed (the normal world cannot shrink a region under the secure
// world). The normal world cannot open the platform service (the PTA) either, whatever login it
// claims.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "machine/inprocess.hpp"
#include "protocol/pta_remoteproc.hpp"
#include "ta_attack_support.hpp"
#include "teec/machine_connection.hpp"

namespace rproctee::test {
namespace {

using namespace ta_attack;  // NOLINT(google-build-using-namespace)
using Bytes = std::vector<uint8_t>;

/// A raw TEE transport of the normal world: the socket the machine listens on, or an
/// in-process connection.
std::unique_ptr<protocol::Transport> raw_transport(MachineUnderTest& m, TransportKind kind) {
  if (kind == TransportKind::kInProcess) return machine::make_inprocess_transport(m.machine());
  const std::string& name = m.tee_name();
  EXPECT_EQ(name.rfind("unix:", 0), 0u);
  auto t = teec::connect_machine(name);
  if (!t) {
    ADD_FAILURE() << t.error().message;
    return nullptr;
  }
  return std::move(*t);
}

/// The regions the normal world received, mapped read-write.
struct Received {
  std::string name;
  uint64_t pa = 0, size = 0;
  int fd = -1;
  uint8_t* map = nullptr;
};

struct ReceivedRegions {
  std::vector<Received> regions;
  ~ReceivedRegions() {
    for (auto& r : regions) {
      if (r.map) ::munmap(r.map, r.size);
      if (r.fd >= 0) ::close(r.fd);
    }
  }
};

/// Asks for the regions (kMapRegions) and maps every descriptor received.
void map_regions(protocol::Transport& t, ReceivedRegions& out) {
  protocol::Request r;
  r.kind = protocol::MessageKind::kMapRegions;
  r.seq = 77;
  std::vector<int> fds;
  auto reply = t.call(r, {}, fds);
  ASSERT_TRUE(reply) << reply.error().message;
  ASSERT_EQ(reply->code, 0u);
  ASSERT_EQ(reply->regions.size(), fds.size());
  for (size_t i = 0; i < fds.size(); ++i) {
    Received rr{reply->regions[i].name, reply->regions[i].pa, reply->regions[i].size, fds[i]};
    void* p = ::mmap(nullptr, rr.size, PROT_READ | PROT_WRITE, MAP_SHARED, rr.fd, 0);
    ASSERT_NE(p, MAP_FAILED) << rr.name;
    rr.map = static_cast<uint8_t*>(p);
    out.regions.push_back(rr);
  }
}

/// Every firewalled (secure) region of processor 0 holds exactly its part of `image`: the
/// signed segment bytes, zeros elsewhere.
::testing::AssertionResult SecureRegionsHoldExactly(MachineUnderTest& m, const Bytes& image) {
  const auto segments = expected_segments(image);
  const auto& d = m.machine().description();
  const auto* p = d.secure.processor(0);
  size_t checked = 0;
  for (size_t ri : p->secure_regions) {
    const auto& region = m.machine().soc().region(ri);
    const auto all = region.all();
    std::vector<std::pair<uint64_t, uint64_t>> inside;  // region offsets of signed bytes
    for (const auto& [pa, bytes] : segments) {
      if (pa < region.base() || pa - region.base() >= region.size()) continue;
      const uint64_t off = pa - region.base();
      const auto at = all.subspan(static_cast<size_t>(off), bytes.size());
      if (!std::equal(at.begin(), at.end(), bytes.begin()))
        return ::testing::AssertionFailure() << fmt::format(
                   "the signed segment at {:#x} in secure region {} changed", pa, region.name());
      inside.emplace_back(off, off + bytes.size());
      checked += bytes.size();
    }
    // Zeros everywhere else (only pages that hold data are read; holes read as zero).
    for (const auto& [offset, length] : region.data_extents())
      for (uint64_t i = offset; i < offset + length; ++i) {
        const bool signed_byte = std::any_of(inside.begin(), inside.end(), [&](const auto& r) {
          return i >= r.first && i < r.second;
        });
        if (!signed_byte && all[static_cast<size_t>(i)] != 0)
          return ::testing::AssertionFailure() << fmt::format(
                     "secure region {} has a non-zero byte at {:#x} outside the signed "
                     "segments",
                     region.name(), region.base() + i);
      }
  }
  if (checked == 0) return ::testing::AssertionFailure() << "no signed segment in a secure region";
  return ::testing::AssertionSuccess();
}

class TaFirewall : public TaAttackFixture {};

TEST_P(TaFirewall, TheNormalWorldReceivesOnlyNonSecureRegions) {
  auto t = raw_transport(m_, GetParam());
  ASSERT_TRUE(t);
  ReceivedRegions got;
  ASSERT_NO_FATAL_FAILURE(map_regions(*t, got));
  std::map<std::string, std::pair<uint64_t, uint64_t>> names;
  for (const auto& r : got.regions) names[r.name] = {r.pa, r.size};
  for (const char* secure : {"cm33-firmware", "cm33-data", "cm33-tfm", "retram"})
    EXPECT_EQ(names.count(secure), 0u) << secure << " was handed to the normal world";
  const std::map<std::string, std::pair<uint64_t, uint64_t>> want = {
      {"ipc-shmem", {0x81200000, 0xf8000}},
      {"vdev0vring0", {0x812f8000, 0x1000}},
      {"vdev0vring1", {0x812f9000, 0x1000}},
      {"vdev0buffer", {0x812fa000, 0x6000}}};
  EXPECT_EQ(names, want);
  // The descriptors are sealed: the normal world cannot shrink or grow a region under the
  // secure world (which would make its accesses fault).
  for (const auto& r : got.regions) {
    const int seals = ::fcntl(r.fd, F_GET_SEALS);
    EXPECT_EQ(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
              F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
        << r.name;
    errno = 0;
    EXPECT_NE(::ftruncate(r.fd, 0), 0) << r.name << " could be truncated";
    EXPECT_EQ(errno, EPERM) << r.name;
  }
}

TEST_P(TaFirewall, WritesThroughEveryReceivedMappingLeaveTheFirmwareIntact) {
  const Bytes image = demo_image(8192);
  ASSERT_EQ(c_.load(image), TEEC_SUCCESS) << c_.last_error();
  ASSERT_TRUE(memory_holds_exactly(m_, image));
  ASSERT_TRUE(SecureRegionsHoldExactly(m_, image));

  auto t = raw_transport(m_, GetParam());
  ASSERT_TRUE(t);
  ReceivedRegions got;
  ASSERT_NO_FATAL_FAILURE(map_regions(*t, got));
  ASSERT_FALSE(got.regions.empty());
  // The normal world scribbles over everything it can reach.
  for (auto& r : got.regions) std::memset(r.map, 0xCC, static_cast<size_t>(r.size));
  // Its writes are real (the resource table in ipc-shmem is shared by design)...
  EXPECT_EQ(m_.read(0x81200000, 16), Bytes(16, 0xCC));
  EXPECT_EQ(m_.read(0x812fa000 + 0x5ff0, 16), Bytes(16, 0xCC));
  // ...and the firewalled regions still hold exactly the signed bytes.
  EXPECT_TRUE(SecureRegionsHoldExactly(m_, image));

  ASSERT_EQ(c_.start(), TEEC_SUCCESS) << c_.last_error();
  for (auto& r : got.regions) std::memset(r.map, 0x33, static_cast<size_t>(r.size));
  EXPECT_TRUE(SecureRegionsHoldExactly(m_, image));
  ASSERT_EQ(c_.stop(), TEEC_SUCCESS);
  EXPECT_TRUE(m_.memories_zero());
  // The next LOAD starts from wiped memories: the normal world's bytes are gone too.
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, image));
}

TEST_P(TaFirewall, BytesTheNormalWorldLeftAreWipedBeforeTheNextLoad) {
  // While OFF the normal world writes the shared regions (class 3's mix through the back
  // door); a firmware that has no segment there must not find those bytes after LOAD.
  auto t = raw_transport(m_, GetParam());
  ASSERT_TRUE(t);
  ReceivedRegions got;
  ASSERT_NO_FATAL_FAILURE(map_regions(*t, got));
  for (auto& r : got.regions) std::memset(r.map, 0xEE, static_cast<size_t>(r.size));
  ElfBuilder b;
  b.add_code(0x80100000, Bytes(0x200, 0x5A), 0x80E00000);
  const Bytes image = sign_elfs({b.build()}, test_key("rsa2048"));
  ASSERT_EQ(c_.load(image), TEEC_SUCCESS) << c_.last_error();
  EXPECT_TRUE(memory_holds_exactly(m_, image));
  EXPECT_EQ(m_.read(0x81200000, 16), Bytes(16, 0));
  ASSERT_EQ(c_.release(), TEEC_SUCCESS);
  // The same after a rejected LOAD.
  for (auto& r : got.regions) std::memset(r.map, 0xEE, static_cast<size_t>(r.size));
  RawImage raw = decompose(image);
  raw.images[0].at(0x3) = 'G';  // ELF magic
  EXPECT_TRUE(LoadRejected(m_, c_, assemble_raw(raw), TEEC_ERROR_BAD_FORMAT,
                           "image 1: ELF magic is 7f 45 4c 47"));
}

TEST_P(TaFirewall, TheNormalWorldCannotOpenThePlatformService) {
  const size_t before = m_.machine().tee().session_count();
  for (const uint32_t login :
       std::vector<uint32_t>{TEEC_LOGIN_PUBLIC, TEEC_LOGIN_USER, TEEC_LOGIN_APPLICATION,
                             TEEC_LOGIN_USER_APPLICATION, TEEC_LOGIN_REE_KERNEL}) {
    SCOPED_TRACE(fmt::format("login {:#x}", login));
    TEEC_Session s{};
    TEEC_Operation op{};
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
    op.params[0].value.a = 0;
    uint32_t origin = 0;
    EXPECT_EQ(TEEC_OpenSession(&c_.context(), &s, &kPtaUuid, login, nullptr, &op, &origin),
              TEEC_ERROR_ACCESS_DENIED);
    EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  }
  // A hand-made request claiming to be a trusted application (TEE_LOGIN_TRUSTED_APP) is no
  // better: the caller's UUID is never taken from the normal world.
  auto t = raw_transport(m_, GetParam());
  ASSERT_TRUE(t);
  protocol::Request r;
  r.kind = protocol::MessageKind::kOpenSession;
  r.seq = 5;
  r.login = 0xF0000000;
  r.uuid = protocol::rproc_pta::kUuid;
  r.params[0] = protocol::WireParam{1, 0, 0};
  std::vector<int> fds;
  auto reply = t->call(r, {}, fds);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->code, TEEC_ERROR_ACCESS_DENIED);
  EXPECT_EQ(reply->origin, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_EQ(m_.machine().tee().session_count(), before);
  // And the remoteproc TA keeps working.
  EXPECT_TRUE(LoadsExactlyThenReleases(m_, c_, demo_image()));
}

INSTANTIATE_TEST_SUITE_P(Transports, TaFirewall,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         transport_param_name);

}  // namespace
}  // namespace rproctee::test
