// GlobalPlatform TEE Client API conformance (tee.md's list, after OP-TEE's xtest 5000 series),
// over both transports: NULL handles, bad TEE names, impossible allocations, a missing TA,
// the same shared-memory struct set up twice, zero-length outputs, the memref rules (TEMP,
// WHOLE, PARTIAL) with their exact codes and origins, registered memory round-trips, sizes
// written back, TEEC_PARAM_TYPES, and the header used from a C translation unit.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/machine_address.hpp"
#include "platform/secure_config.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "support/elf_builder.hpp"
#include "support/image_crafting.hpp"
#include "support/machine_fixture.hpp"

extern "C" {
int rproctee_c_null_handles(void);
int rproctee_c_open_and_query(const char* tee_name);
int rproctee_c_load_start_stop(const char* tee_name, const void* image, size_t image_size);
}

namespace rproctee::test {
namespace {

// --- TEEC_PARAM_TYPES (compile time; the constants and the layout: tests/teec) -------------

static_assert(TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE) == 0);
static_assert(TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE) == 0x1);
static_assert(TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE) ==
              0x51);
static_assert(TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE) ==
              0x221);
static_assert(TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_MEMREF_WHOLE, TEEC_MEMREF_PARTIAL_INPUT,
                               TEEC_MEMREF_PARTIAL_INOUT) == 0xFDC3);
static_assert(TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_MEMREF_TEMP_INOUT,
                               TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_VALUE_INPUT) == 0x1E76);
static_assert(TEEC_PARAM_TYPE_GET(0xFDC3, 0) == TEEC_VALUE_INOUT);
static_assert(TEEC_PARAM_TYPE_GET(0xFDC3, 1) == TEEC_MEMREF_WHOLE);
static_assert(TEEC_PARAM_TYPE_GET(0xFDC3, 2) == TEEC_MEMREF_PARTIAL_INPUT);
static_assert(TEEC_PARAM_TYPE_GET(0xFDC3, 3) == TEEC_MEMREF_PARTIAL_INOUT);

// --- Handles without a machine -------------------------------------------------------------

TEST(ClientApi, NullHandlesAreIgnored) {
  TEEC_CloseSession(nullptr);
  TEEC_FinalizeContext(nullptr);
  TEEC_ReleaseSharedMemory(nullptr);
  TEEC_RequestCancellation(nullptr);
  TEEC_Context never{};
  TEEC_FinalizeContext(&never);  // never initialised: nothing to do
  TEEC_Session closed{};
  TEEC_CloseSession(&closed);
  TEEC_SharedMemory unset{};
  TEEC_ReleaseSharedMemory(&unset);
  uint32_t origin = 0;
  EXPECT_EQ(TEEC_InvokeCommand(nullptr, protocol::rproc_ta::kStartFw, nullptr, &origin),
            TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin, TEEC_ORIGIN_API);
  origin = 0;
  TEEC_Session s{};
  EXPECT_EQ(
      TEEC_OpenSession(nullptr, &s, &kRemoteprocUuid, TEEC_LOGIN_PUBLIC, nullptr, nullptr, &origin),
      TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin, TEEC_ORIGIN_API);
  EXPECT_EQ(TEEC_AllocateSharedMemory(nullptr, &unset), TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(TEEC_InitializeContext("inproc:x", nullptr), TEEC_ERROR_BAD_PARAMETERS);
}

TEST(ClientApi, InvalidTeeNamesAreNotFound) {
  TEEC_Context ctx{};
  EXPECT_EQ(TEEC_InitializeContext("Invalid TEE name", &ctx), TEEC_ERROR_ITEM_NOT_FOUND);
  EXPECT_EQ(ctx.imp.fd, 0);  // untouched on failure
  EXPECT_EQ(TEEC_InitializeContext("inproc:no-such-machine", &ctx), TEEC_ERROR_ITEM_NOT_FOUND);
  EXPECT_EQ(TEEC_InitializeContext("unix:/nonexistent/rproctee.sock", &ctx),
            TEEC_ERROR_ITEM_NOT_FOUND);
  EXPECT_EQ(ctx.imp.fd, 0);  // untouched on failure
  TEEC_FinalizeContext(&ctx);
}

/// Sets or removes $RPROCTEE_TEE for a scope.
class ScopedTeeVariable {
 public:
  explicit ScopedTeeVariable(const char* value) {
    if (const char* old = std::getenv("RPROCTEE_TEE")) old_ = old;
    if (value)
      ::setenv("RPROCTEE_TEE", value, 1);
    else
      ::unsetenv("RPROCTEE_TEE");
  }
  ~ScopedTeeVariable() {
    if (old_)
      ::setenv("RPROCTEE_TEE", old_->c_str(), 1);
    else
      ::unsetenv("RPROCTEE_TEE");
  }

 private:
  std::optional<std::string> old_;
};

// No name: $RPROCTEE_TEE, else the machine of the host, where optee_client would open
// /dev/tee0; the only in-process machine is "inproc:", never the default.
TEST(ClientApi, NoNameMeansTheEnvironmentOrTheHostsMachine) {
  {
    ScopedTeeVariable unset(nullptr);
    EXPECT_EQ(default_machine_address(), "unix:/run/rproctee/tee.sock");
    EXPECT_EQ(default_machine_socket(), "/run/rproctee/tee.sock");
  }
  MachineUnderTest m(TransportKind::kInProcess);
  {
    ScopedTeeVariable set(m.tee_name().c_str());
    TEEC_Context ctx{};
    ASSERT_EQ(TEEC_InitializeContext(nullptr, &ctx), TEEC_SUCCESS);
    EXPECT_GT(ctx.imp.fd, 2);  // a descriptor of its own, never a standard stream
    EXPECT_TRUE(ctx.imp.memref_null);
    EXPECT_FALSE(ctx.imp.reg_mem);
    TEEC_FinalizeContext(&ctx);
    EXPECT_EQ(ctx.imp.fd, -1);
    ASSERT_EQ(TEEC_InitializeContext("", &ctx), TEEC_SUCCESS);
    TEEC_FinalizeContext(&ctx);
    EXPECT_EQ(default_machine_socket(), "/run/rproctee/tee.sock");  // not a socket address
  }
  {
    ScopedTeeVariable set("unix:/tmp/elsewhere.sock");
    EXPECT_EQ(default_machine_socket(), "/tmp/elsewhere.sock");
  }
  TEEC_Context only{};
  ASSERT_EQ(TEEC_InitializeContext("inproc:", &only), TEEC_SUCCESS);
  TEEC_FinalizeContext(&only);
}

TEST(ClientApi, CTranslationUnitWithoutAMachine) {
  EXPECT_EQ(rproctee_c_null_handles(), 0);
}

// --- With a machine, over both transports -------------------------------------------------

size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

/// 52-byte header, PT_NOTE + one PT_LOAD per region, a 168-byte NT_PRSTATUS note, the regions.
/// The size of a default-policy core dump: the regions the normal world may map.
size_t coredump_size(MachineUnderTest& m, uint32_t id) {
  const auto& d = m.machine().description();
  std::vector<size_t> open;
  for (size_t r : d.layout.processor(id)->regions)
    if (platform::exported_to_normal_world(d, r)) open.push_back(r);
  size_t size = 52 + 32 * (open.size() + 1) + 168;
  for (size_t r : open) size += static_cast<size_t>(d.layout.regions[r].size);
  return size;
}

const std::vector<uint8_t>& firmware_image() {
  static const auto kImage =
      sign_elfs({make_firmware(8192, demo_resource_table())}, test_key("rsa2048"));
  return kImage;
}

class ClientApiOverTransport : public ::testing::TestWithParam<TransportKind> {
 protected:
  ClientApiOverTransport() : m_(GetParam()), c_(m_.tee_name()) {}
  void SetUp() override {
    ASSERT_TRUE(c_.initialized());
    ASSERT_EQ(c_.open(0), TEEC_SUCCESS);
  }
  TEEC_Context& ctx() { return c_.context(); }

  /// Invokes with params[0] = the processor id and returns the origin in `origin_`.
  TEEC_Result invoke(uint32_t command, TEEC_Operation& op) {
    origin_ = 0xBAD;
    return c_.invoke(command, op, &origin_);
  }

  MachineUnderTest m_;
  RprocClient c_;
  uint32_t origin_ = 0;
};

TEST_P(ClientApiOverTransport, AllocatingSizeMaxIsOutOfMemory) {
  TEEC_SharedMemory shm{};
  shm.size = SIZE_MAX;
  shm.flags = TEEC_MEM_INPUT;
  EXPECT_EQ(TEEC_AllocateSharedMemory(&ctx(), &shm), TEEC_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(shm.buffer, nullptr);
  EXPECT_EQ(shm.imp.shadow_buffer, nullptr);
  TEEC_ReleaseSharedMemory(&shm);  // nothing was set up: harmless
  // No limit in the library (TEEC_CONFIG_SHAREDMEM_MAX_SIZE is ULONG_MAX): more than the
  // machine maps for one client is its OUT_OF_MEMORY.
  shm.size = (size_t{256} << 20) + 1;
  EXPECT_EQ(TEEC_AllocateSharedMemory(&ctx(), &shm), TEEC_ERROR_OUT_OF_MEMORY);
  uint8_t byte = 0;
  TEEC_SharedMemory reg{};
  reg.buffer = &byte;
  reg.size = SIZE_MAX;
  reg.flags = TEEC_MEM_INPUT;
  EXPECT_EQ(TEEC_RegisterSharedMemory(&ctx(), &reg), TEEC_ERROR_OUT_OF_MEMORY);
  // Bad flags are the caller's mistake.
  TEEC_SharedMemory flags{};
  flags.size = 16;
  flags.flags = 0;
  EXPECT_EQ(TEEC_AllocateSharedMemory(&ctx(), &flags), TEEC_ERROR_BAD_PARAMETERS);
  flags.flags = 4;
  EXPECT_EQ(TEEC_AllocateSharedMemory(&ctx(), &flags), TEEC_ERROR_BAD_PARAMETERS);
  // The context still works.
  uint64_t address = 0, size = 0;
  EXPECT_EQ(c_.rsc_table(address, size), TEEC_ERROR_BAD_STATE);
}

TEST_P(ClientApiOverTransport, MissingTaIsNotReportedByATrustedApp) {
  const TEEC_UUID missing = {0x11111111, 0x2222, 0x3333, {4, 4, 4, 4, 4, 4, 4, 4}};
  TEEC_Session s{};
  uint32_t origin = 0;
  EXPECT_EQ(TEEC_OpenSession(&ctx(), &s, &missing, TEEC_LOGIN_PUBLIC, nullptr, nullptr, &origin),
            TEEC_ERROR_ITEM_NOT_FOUND);
  EXPECT_EQ(origin, TEEC_ORIGIN_TEE);
  EXPECT_NE(origin, TEEC_ORIGIN_TRUSTED_APP);
  // The TA's own refusals carry its origin: an unknown processor id...
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = 7;
  EXPECT_EQ(
      TEEC_OpenSession(&ctx(), &s, &kRemoteprocUuid, TEEC_LOGIN_REE_KERNEL, nullptr, &op, &origin),
      TEEC_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  // ...and the platform service, which only the remoteproc TA may open.
  EXPECT_EQ(TEEC_OpenSession(&ctx(), &s, &kPtaUuid, TEEC_LOGIN_REE_KERNEL, nullptr, &op, &origin),
            TEEC_ERROR_ACCESS_DENIED);
  EXPECT_EQ(origin, TEEC_ORIGIN_TRUSTED_APP);
  // Logins the library checks itself.
  EXPECT_EQ(TEEC_OpenSession(&ctx(), &s, &kRemoteprocUuid, TEEC_LOGIN_GROUP, nullptr, &op, &origin),
            TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin, TEEC_ORIGIN_API);
  // A login the TEE driver does not know (EINVAL from the driver).
  EXPECT_EQ(TEEC_OpenSession(&ctx(), &s, &kRemoteprocUuid, 3, nullptr, &op, &origin),
            TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin, TEEC_ORIGIN_COMMS);
}

TEST_P(ClientApiOverTransport, SameStructAllocatedOrRegisteredTwice) {
  const size_t before = open_descriptors();
  {
    TEEC_SharedMemory shm{};
    shm.size = 4096;
    shm.flags = TEEC_MEM_OUTPUT;
    ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &shm), TEEC_SUCCESS);
    TEEC_SharedMemory first = shm;
    shm.size = 4096;
    ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &shm), TEEC_SUCCESS);
    EXPECT_NE(shm.buffer, first.buffer);
    EXPECT_NE(shm.imp.id, first.imp.id);
    // Both are usable: the reason of a rejection lands in each.
    TEEC_Operation op{};
    EXPECT_EQ(invoke(protocol::rproc_ta::kStartFw, op), TEEC_ERROR_BAD_STATE);
    for (TEEC_SharedMemory* s : {&first, &shm}) {
      op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
      op.params[1].memref.parent = s;
      EXPECT_EQ(invoke(protocol::rproc_ta::kGetLastError, op), TEEC_SUCCESS);
      EXPECT_STREQ(static_cast<const char*>(s->buffer),
                   "START_FW rejected: no firmware is loaded [TEE_ERROR_BAD_STATE 0xffff0007]");
    }
    TEEC_ReleaseSharedMemory(&first);
    TEEC_ReleaseSharedMemory(&shm);
    EXPECT_EQ(shm.buffer, nullptr);
  }
  {
    std::vector<uint8_t> buffer(300, 0xEE);
    TEEC_SharedMemory shm{};
    shm.buffer = buffer.data();
    shm.size = buffer.size();
    shm.flags = TEEC_MEM_OUTPUT;
    ASSERT_EQ(TEEC_RegisterSharedMemory(&ctx(), &shm), TEEC_SUCCESS);
    TEEC_SharedMemory first = shm;
    ASSERT_EQ(TEEC_RegisterSharedMemory(&ctx(), &shm), TEEC_SUCCESS);
    EXPECT_EQ(shm.buffer, buffer.data());  // a registered buffer stays the caller's
    EXPECT_NE(shm.imp.id, first.imp.id);
    TEEC_Operation op{};
    EXPECT_EQ(invoke(protocol::rproc_ta::kStopFw, op), TEEC_SUCCESS);
    EXPECT_EQ(invoke(protocol::rproc_ta::kGetRscTable, op),
              TEEC_ERROR_BAD_PARAMETERS);  // no outputs given
    op.paramTypes =
        TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
    EXPECT_EQ(invoke(protocol::rproc_ta::kGetRscTable, op), TEEC_ERROR_BAD_STATE);
    for (TEEC_SharedMemory* s : {&first, &shm}) {
      std::fill(buffer.begin(), buffer.end(), 0xEE);
      op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
      op.params[1].memref.parent = s;
      EXPECT_EQ(invoke(protocol::rproc_ta::kGetLastError, op), TEEC_SUCCESS);
      EXPECT_STREQ(reinterpret_cast<const char*>(buffer.data()),
                   "GET_RSC_TABLE rejected: no firmware is loaded [TEE_ERROR_BAD_STATE "
                   "0xffff0007]");
    }
    TEEC_ReleaseSharedMemory(&first);
    TEEC_ReleaseSharedMemory(&shm);
    EXPECT_EQ(shm.buffer, buffer.data());
  }
  // Every memfd and mapping of the four set-ups is gone, on both sides of the transport.
  EXPECT_EQ(open_descriptors(), before);
}

TEST_P(ClientApiOverTransport, ZeroLengthOutputMemrefs) {
  ASSERT_EQ(c_.load(firmware_image()), TEEC_SUCCESS) << c_.last_error();
  const size_t needed = coredump_size(m_, 0);
  // TEMP: NULL buffer of size 0 is allowed and answered with the size needed.
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].tmpref = {nullptr, 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_ERROR_SHORT_BUFFER);
  EXPECT_EQ(origin_, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_EQ(op.params[1].tmpref.size, needed);
  EXPECT_EQ(op.params[1].tmpref.buffer, nullptr);
  // A non-NULL buffer of size 0, same answer.
  uint8_t byte = 0x5A;
  op.params[1].tmpref = {&byte, 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_ERROR_SHORT_BUFFER);
  EXPECT_EQ(op.params[1].tmpref.size, needed);
  EXPECT_EQ(byte, 0x5A);
  // PARTIAL of size 0 inside an allocated output memory.
  TEEC_SharedMemory shm{};
  shm.size = 64;
  shm.flags = TEEC_MEM_OUTPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &shm), TEEC_SUCCESS);
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].memref = {&shm, 0, 32};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_ERROR_SHORT_BUFFER);
  EXPECT_EQ(op.params[1].memref.size, needed);
  TEEC_ReleaseSharedMemory(&shm);
  // An allocated memory of size 0, passed WHOLE.
  TEEC_SharedMemory empty{};
  empty.size = 0;
  empty.flags = TEEC_MEM_OUTPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &empty), TEEC_SUCCESS);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
  op.params[1].memref = {&empty, 0, 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_ERROR_SHORT_BUFFER);
  EXPECT_EQ(op.params[1].memref.size, needed);
  TEEC_ReleaseSharedMemory(&empty);
  // A zero-length input is refused by the TA, not by the library.
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].tmpref = {nullptr, 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kReleaseFw, op), TEEC_SUCCESS);
  EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin_, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_EQ(c_.last_error(),
            "LOAD_FW rejected: empty image buffer [TEE_ERROR_BAD_PARAMETERS 0xffff0006]");
}

TEST_P(ClientApiOverTransport, PartialMemrefOutOfBoundsIsRefusedByTheLibrary) {
  const auto& image = firmware_image();
  TEEC_SharedMemory shm{};
  shm.size = image.size();
  shm.flags = TEEC_MEM_INPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &shm), TEEC_SUCCESS);
  std::memcpy(shm.buffer, image.data(), image.size());
  TEEC_Operation op{};
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_PARTIAL_INPUT, TEEC_NONE, TEEC_NONE);
  const struct {
    size_t offset, size;
  } bad[] = {{0, image.size() + 1}, {1, image.size()}, {image.size() + 1, 0},
             {SIZE_MAX, 2},         {2, SIZE_MAX},     {image.size(), 1}};
  for (const auto& b : bad) {
    op.params[1].memref = {&shm, b.size, b.offset};
    EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_BAD_PARAMETERS)
        << b.offset << "+" << b.size;
    EXPECT_EQ(origin_, TEEC_ORIGIN_API) << b.offset << "+" << b.size;
  }
  // Nothing reached the TA: still OFF, memories untouched.
  EXPECT_TRUE(m_.memories_zero(0));
  EXPECT_EQ(c_.last_error(), "");
  // Exactly at the end is inside.
  op.params[1].memref = {&shm, image.size(), 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_SUCCESS) << c_.last_error();
  EXPECT_EQ(origin_, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_TRUE(memory_holds_exactly(m_, image));
  TEEC_ReleaseSharedMemory(&shm);
}

TEST_P(ClientApiOverTransport, PartialDirectionMustBeAllowedByTheParent) {
  TEEC_SharedMemory in{}, out{};
  in.size = out.size = 256;
  in.flags = TEEC_MEM_INPUT;
  out.flags = TEEC_MEM_OUTPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &in), TEEC_SUCCESS);
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &out), TEEC_SUCCESS);
  const struct {
    TEEC_SharedMemory* parent;
    uint32_t type;
  } bad[] = {{&in, TEEC_MEMREF_PARTIAL_OUTPUT},
             {&in, TEEC_MEMREF_PARTIAL_INOUT},
             {&out, TEEC_MEMREF_PARTIAL_INPUT},
             {&out, TEEC_MEMREF_PARTIAL_INOUT}};
  for (const auto& b : bad) {
    TEEC_Operation op{};
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, b.type, TEEC_NONE, TEEC_NONE);
    op.params[1].memref = {b.parent, 16, 0};
    EXPECT_EQ(invoke(protocol::rproc_ta::kGetLastError, op), TEEC_ERROR_BAD_PARAMETERS) << b.type;
    EXPECT_EQ(origin_, TEEC_ORIGIN_API) << b.type;
  }
  // The allowed direction goes through (the TA answers).
  TEEC_Operation op{};
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].memref = {&out, 16, 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetLastError, op), TEEC_SUCCESS);
  EXPECT_EQ(origin_, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_EQ(op.params[1].memref.size, 1u);  // the empty message and its NUL
  TEEC_ReleaseSharedMemory(&in);
  TEEC_ReleaseSharedMemory(&out);
}

TEST_P(ClientApiOverTransport, MalformedParametersAreRefusedByTheLibrary) {
  TEEC_Operation op{};
  // TEMP memref with a NULL buffer and a size.
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].tmpref = {nullptr, 16};
  EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin_, TEEC_ORIGIN_API);
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin_, TEEC_ORIGIN_API);
  // A registered memref without a parent.
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
  op.params[1].memref = {nullptr, 0, 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin_, TEEC_ORIGIN_API);
  // A parent that was released.
  TEEC_SharedMemory shm{};
  shm.size = 16;
  shm.flags = TEEC_MEM_INPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &shm), TEEC_SUCCESS);
  TEEC_ReleaseSharedMemory(&shm);
  op.params[1].memref = {&shm, 0, 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin_, TEEC_ORIGIN_API);
  // Types that do not exist (4, 8..0xB).
  for (uint32_t t : {4u, 8u, 9u, 0xAu, 0xBu}) {
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, t, TEEC_NONE, TEEC_NONE);
    EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_BAD_PARAMETERS) << t;
    EXPECT_EQ(origin_, TEEC_ORIGIN_API) << t;
  }
  // A session that was closed.
  c_.close();
  uint32_t origin = 0;
  EXPECT_EQ(TEEC_InvokeCommand(&c_.session(), protocol::rproc_ta::kStartFw, nullptr, &origin),
            TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin, TEEC_ORIGIN_API);
}

TEST_P(ClientApiOverTransport, WholeMemrefTakesDirectionAndSizeFromTheParent) {
  const auto& image = firmware_image();
  // Parent larger than the image: WHOLE passes the parent's size, which the TA refuses (the
  // file is longer than its header says); PARTIAL with the image's size is accepted.
  TEEC_SharedMemory big{};
  big.size = image.size() + 8;
  big.flags = TEEC_MEM_INPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &big), TEEC_SUCCESS);
  std::memcpy(big.buffer, image.data(), image.size());
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
  op.params[1].memref = {&big, image.size(), 0};  // ignored for WHOLE
  EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin_, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_NE(c_.last_error().find("8 bytes longer than the header says"), std::string::npos)
      << c_.last_error();
  // Parent of exactly the image's size, offset and size fields full of garbage: loads.
  TEEC_SharedMemory exact{};
  exact.size = image.size();
  exact.flags = TEEC_MEM_INPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &exact), TEEC_SUCCESS);
  std::memcpy(exact.buffer, image.data(), image.size());
  op.params[1].memref = {&exact, 1, 12345};
  EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_SUCCESS) << c_.last_error();
  EXPECT_EQ(origin_, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_TRUE(memory_holds_exactly(m_, image));
  // Direction from the flags: an INPUT|OUTPUT parent arrives as MEMREF_INOUT, which LOAD_FW
  // does not take.
  TEEC_SharedMemory inout{};
  inout.size = image.size();
  inout.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &inout), TEEC_SUCCESS);
  std::memcpy(inout.buffer, image.data(), image.size());
  op.params[1].memref = {&inout, 0, 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_ERROR_BAD_PARAMETERS);
  EXPECT_EQ(origin_, TEEC_ORIGIN_TRUSTED_APP);
  // An OUTPUT parent arrives as MEMREF_OUTPUT and gets its size written back.
  TEEC_SharedMemory out{};
  out.size = 100;
  out.flags = TEEC_MEM_OUTPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &out), TEEC_SUCCESS);
  op.params[1].memref = {&out, 0, 0};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_ERROR_SHORT_BUFFER);
  EXPECT_EQ(origin_, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_EQ(op.params[1].memref.size, coredump_size(m_, 0));
  EXPECT_EQ(out.size, 100u);  // the parent itself is not resized
  for (TEEC_SharedMemory* s : {&big, &exact, &inout, &out}) TEEC_ReleaseSharedMemory(s);
}

TEST_P(ClientApiOverTransport, RegisteredMemoryRoundTrips) {
  // Input: a registered (not allocated) buffer holding the image loads through a shadow copy.
  std::vector<uint8_t> image = firmware_image();
  TEEC_SharedMemory in{};
  in.buffer = image.data();
  in.size = image.size();
  in.flags = TEEC_MEM_INPUT;
  ASSERT_EQ(TEEC_RegisterSharedMemory(&ctx(), &in), TEEC_SUCCESS);
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
  op.params[1].memref.parent = &in;
  EXPECT_EQ(invoke(protocol::rproc_ta::kLoadFw, op), TEEC_SUCCESS) << c_.last_error();
  EXPECT_TRUE(memory_holds_exactly(m_, firmware_image()));
  TEEC_ReleaseSharedMemory(&in);
  EXPECT_EQ(image, firmware_image());  // the caller's buffer is untouched

  // Output: the core dump lands in the caller's registered buffer, past a sentinel prefix
  // that a PARTIAL memref leaves alone.
  const size_t needed = coredump_size(m_, 0);
  std::vector<uint8_t> buffer(needed + 64, 0xCC);
  TEEC_SharedMemory out{};
  out.buffer = buffer.data();
  out.size = buffer.size();
  out.flags = TEEC_MEM_OUTPUT;
  ASSERT_EQ(TEEC_RegisterSharedMemory(&ctx(), &out), TEEC_SUCCESS);
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].memref = {&out, needed, 32};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_SUCCESS);
  EXPECT_EQ(op.params[1].memref.size, needed);
  EXPECT_TRUE(
      std::all_of(buffer.begin(), buffer.begin() + 32, [](uint8_t b) { return b == 0xCC; }));
  EXPECT_TRUE(std::all_of(buffer.end() - 32, buffer.end(), [](uint8_t b) { return b == 0xCC; }));
  const std::vector<uint8_t> magic = {0x7F, 'E', 'L', 'F'};
  EXPECT_TRUE(std::equal(magic.begin(), magic.end(), buffer.begin() + 32));
  EXPECT_EQ(get_u32(buffer, 32 + 16) & 0xFFFF, 4u);  // ET_CORE
  // The resource table (in ipc-shmem) is in the dump, as the memory holds it; the firmware's
  // vector table (firewalled) is not.
  const auto table = m_.read(0x81200000, 64);
  EXPECT_NE(std::search(buffer.begin(), buffer.end(), table.begin(), table.end()), buffer.end());
  const auto expected = expected_segments(firmware_image());
  const auto code = m_.read(expected[0].first, 64);
  EXPECT_EQ(std::search(buffer.begin(), buffer.end(), code.begin(), code.end()), buffer.end());
  TEEC_ReleaseSharedMemory(&out);
}

TEST_P(ClientApiOverTransport, OutputSizesAreWrittenBack) {
  ASSERT_EQ(c_.load(firmware_image()), TEEC_SUCCESS) << c_.last_error();
  const size_t needed = coredump_size(m_, 0);
  // Too small: SHORT_BUFFER, the size needed, and the caller's buffer untouched.
  std::vector<uint8_t> small(16, 0xAB);
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].tmpref = {small.data(), small.size()};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_ERROR_SHORT_BUFFER);
  EXPECT_EQ(origin_, TEEC_ORIGIN_TRUSTED_APP);
  EXPECT_EQ(op.params[1].tmpref.size, needed);
  EXPECT_EQ(small, std::vector<uint8_t>(16, 0xAB));
  // One byte short: still SHORT_BUFFER.
  std::vector<uint8_t> core(needed + 100, 0);
  op.params[1].tmpref = {core.data(), needed - 1};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_ERROR_SHORT_BUFFER);
  EXPECT_EQ(op.params[1].tmpref.size, needed);
  // Larger than needed: SUCCESS and the size actually written.
  op.params[1].tmpref = {core.data(), core.size()};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetCoredump, op), TEEC_SUCCESS);
  EXPECT_EQ(op.params[1].tmpref.size, needed);
  EXPECT_EQ(core[0], 0x7F);
  // Value outputs.
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
  op.params[1].value = {1, 2};
  op.params[2].value = {3, 4};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetRscTable, op), TEEC_SUCCESS);
  EXPECT_EQ(op.params[1].value.a, 0x81200000u);
  EXPECT_EQ(op.params[1].value.b, 0u);
  EXPECT_EQ(op.params[2].value.a, demo_resource_table().size());
  EXPECT_EQ(op.params[2].value.b, 0u);
  // Output sizes of the rproctee GET_LAST_ERROR extension, through a PARTIAL memref.
  EXPECT_EQ(c_.stop(), TEEC_ERROR_BAD_STATE);
  const std::string reason =
      "STOP_FW rejected: the firmware is loaded but not started [TEE_ERROR_BAD_STATE "
      "0xffff0007]";
  TEEC_SharedMemory shm{};
  shm.size = 256;
  shm.flags = TEEC_MEM_OUTPUT;
  ASSERT_EQ(TEEC_AllocateSharedMemory(&ctx(), &shm), TEEC_SUCCESS);
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].memref = {&shm, 10, 8};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetLastError, op), TEEC_ERROR_SHORT_BUFFER);
  EXPECT_EQ(op.params[1].memref.size, reason.size() + 1);
  op.params[1].memref = {&shm, 200, 8};
  EXPECT_EQ(invoke(protocol::rproc_ta::kGetLastError, op), TEEC_SUCCESS);
  EXPECT_EQ(op.params[1].memref.size, reason.size() + 1);
  EXPECT_EQ(std::string(static_cast<const char*>(shm.buffer) + 8), reason);
  TEEC_ReleaseSharedMemory(&shm);
}

TEST_P(ClientApiOverTransport, CTranslationUnit) {
  c_.close();  // the C code opens its own session on processor 0
  EXPECT_EQ(rproctee_c_open_and_query(m_.tee_name().c_str()), 0);
  const auto& image = firmware_image();
  EXPECT_EQ(rproctee_c_load_start_stop(m_.tee_name().c_str(), image.data(), image.size()), 0);
  EXPECT_TRUE(m_.memories_zero(0));
  EXPECT_FALSE(m_.machine().soc().core(0).running());
}

INSTANTIATE_TEST_SUITE_P(Transports, ClientApiOverTransport,
                         ::testing::Values(TransportKind::kInProcess, TransportKind::kSocket),
                         [](const auto& param) { return transport_name(param.param); });

}  // namespace
}  // namespace rproctee::test
