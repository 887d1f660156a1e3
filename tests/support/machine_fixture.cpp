#include "support/machine_fixture.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "dt/device_tree.hpp"
#include "image/container.hpp"
#include "image/elf32.hpp"
#include "image/signed_tlvs.hpp"
#include "image/tlv.hpp"
#include "machine/inprocess.hpp"
#include "platform/secure_config.hpp"
#include "protocol/ta_remoteproc.hpp"
#include "support/image_crafting.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {

namespace {
std::atomic<int> g_counter{0};
}

std::string transport_name(TransportKind kind) {
  return kind == TransportKind::kInProcess ? "InProcess" : "Socket";
}

platform::Description description_from_dts(const std::string& dts) {
  TempDir tmp;
  const auto src = tmp / "platform.dts";
  write_bytes(src, std::vector<uint8_t>(dts.begin(), dts.end()));
  // Keys referenced with /incbin/ resolve against the repository root, the peripheral maps
  // (/include/) against platforms/.
  const auto root = vectors_dir().parent_path().parent_path().parent_path();
  auto r = run_command({"/usr/bin/dtc", "-q", "-I", "dts", "-O", "dtb", "-i", root.string(), "-i",
                        (root / "platforms").string(), "-o", tmp / "platform.dtb", src});
  if (r.exit_code != 0) throw std::runtime_error("dtc failed: " + r.err);
  auto tree = dt::DeviceTree::from_blob(read_bytes(tmp / "platform.dtb"), "test.dts");
  if (!tree) throw std::runtime_error(tree.error().message);
  auto d = platform::load_description(*tree);
  if (!d) throw std::runtime_error(d.error().message);
  return *d;
}

MachineUnderTest::MachineUnderTest(TransportKind kind, MachineConfig config) {
  platform::Description d;
  if (config.dts.empty()) {
    auto preset = platform::load_preset(config.preset);
    if (!preset) throw std::runtime_error(preset.error().message);
    d = *preset;
  } else {
    d = description_from_dts(config.dts);
  }
  for (const auto& name : config.trust)
    if (!platform::trust_key(d.secure, test_key(name).priv.public_key(), name))
      throw std::runtime_error("trust");
  for (const auto& path : config.trust_files) {
    auto key = crypto::PublicKey::load_file(path);
    if (!key || !platform::trust_key(d.secure, *key, path))
      throw std::runtime_error("cannot trust " + path);
  }
  if (config.aes_key) d.secure.aes_key = *crypto::SecretBytes::copy_of(*config.aes_key);
  machine::MachineOptions options{d, config.state_dir, config.populate};
  options.emulate_cores = config.emulate_cores;
  options.limits = config.limits;
  auto m = machine::Machine::create(std::move(options));
  if (!m) throw std::runtime_error(m.error().message);
  machine_ = std::move(*m);
  const std::string name = fmt::format("test-{}-{}", ::getpid(), g_counter++);
  if (kind == TransportKind::kInProcess) {
    machine::register_inprocess(name, *machine_);
    tee_name_ = "inproc:" + name;
  } else {
    socket_path_ = (std::filesystem::temp_directory_path() / (name + ".sock")).string();
    auto server = machine::SocketServer::listen(*machine_, socket_path_);
    if (!server) throw std::runtime_error(server.error().message);
    server_ = std::move(*server);
    server_thread_ = std::thread([this] { server_->run(); });
    tee_name_ = "unix:" + socket_path_;
  }
}

MachineUnderTest::~MachineUnderTest() {
  if (server_) {
    server_->request_stop();
    server_thread_.join();
    server_.reset();
  } else {
    machine::unregister_inprocess(tee_name_.substr(7));
  }
  machine_.reset();
}

bool MachineUnderTest::wait_no_connection(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (server_ && server_->clients() > 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

bool MachineUnderTest::memories_zero(uint32_t id) {
  const auto* p = machine_->description().layout.processor(id);
  for (size_t r : p->regions)
    if (!machine_->soc().region(r).is_zero()) return false;
  return true;
}

std::vector<uint8_t> MachineUnderTest::read(uint64_t pa, size_t size) {
  for (size_t i = 0; i < machine_->soc().region_count(); ++i) {
    auto& region = machine_->soc().region(i);
    if (region.contains(pa, size)) {
      auto b = *region.bytes(pa, size);
      return {b.begin(), b.end()};
    }
  }
  throw std::runtime_error("address outside every region");
}

RprocClient::RprocClient(const std::string& tee_name) {
  initialized_ = TEEC_InitializeContext(tee_name.c_str(), &ctx_) == TEEC_SUCCESS;
}

RprocClient::~RprocClient() {
  close();
  if (initialized_) TEEC_FinalizeContext(&ctx_);
}

TEEC_Result RprocClient::open(uint32_t processor, uint32_t* origin) {
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
  op.params[0].value.a = processor;
  const TEEC_Result r = TEEC_OpenSession(&ctx_, &session_, &kRemoteprocUuid, TEEC_LOGIN_REE_KERNEL,
                                         nullptr, &op, origin);
  open_ = r == TEEC_SUCCESS;
  processor_ = processor;
  return r;
}

void RprocClient::close() {
  if (open_) TEEC_CloseSession(&session_);
  open_ = false;
}

TEEC_Result RprocClient::invoke(uint32_t command, TEEC_Operation& op, uint32_t* origin) {
  op.paramTypes = (op.paramTypes & ~0xFu) | TEEC_VALUE_INPUT;
  op.params[0].value.a = processor_;
  return TEEC_InvokeCommand(&session_, command, &op, origin);
}

TEEC_Result RprocClient::load(std::span<const uint8_t> image, uint32_t* origin) {
  TEEC_SharedMemory shm{};
  shm.size = image.size();
  shm.flags = TEEC_MEM_INPUT;
  if (const TEEC_Result r = TEEC_AllocateSharedMemory(&ctx_, &shm); r != TEEC_SUCCESS) return r;
  std::memcpy(shm.buffer, image.data(), image.size());
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE);
  op.params[1].memref.parent = &shm;
  const TEEC_Result r = invoke(protocol::rproc_ta::kLoadFw, op, origin);
  TEEC_ReleaseSharedMemory(&shm);
  return r;
}

TEEC_Result RprocClient::start() {
  TEEC_Operation op{};
  return invoke(protocol::rproc_ta::kStartFw, op);
}

TEEC_Result RprocClient::stop() {
  TEEC_Operation op{};
  return invoke(protocol::rproc_ta::kStopFw, op);
}

TEEC_Result RprocClient::release() {
  TEEC_Operation op{};
  return invoke(protocol::rproc_ta::kReleaseFw, op);
}

TEEC_Result RprocClient::rsc_table(uint64_t& address, uint64_t& size) {
  TEEC_Operation op{};
  op.paramTypes =
      TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE);
  const TEEC_Result r = invoke(protocol::rproc_ta::kGetRscTable, op);
  address = uint64_t{op.params[1].value.a} | uint64_t{op.params[1].value.b} << 32;
  size = uint64_t{op.params[2].value.a} | uint64_t{op.params[2].value.b} << 32;
  return r;
}

TEEC_Result RprocClient::coredump(std::vector<uint8_t>& out) {
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].tmpref.buffer = nullptr;
  op.params[1].tmpref.size = 0;
  TEEC_Result r = invoke(protocol::rproc_ta::kGetCoredump, op);
  if (r != TEEC_ERROR_SHORT_BUFFER) return r;
  out.resize(op.params[1].tmpref.size);
  op.params[1].tmpref.buffer = out.data();
  op.params[1].tmpref.size = out.size();
  return invoke(protocol::rproc_ta::kGetCoredump, op);
}

std::string RprocClient::last_error() {
  char buf[1024] = {};
  TEEC_Operation op{};
  op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
  op.params[1].tmpref.buffer = buf;
  op.params[1].tmpref.size = sizeof buf;
  if (invoke(protocol::rproc_ta::kGetLastError, op) != TEEC_SUCCESS) return "";
  return buf;
}

std::vector<std::pair<uint64_t, std::vector<uint8_t>>> expected_segments(
    std::span<const uint8_t> file) {
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> out;
  for (const auto& img : decompose(file).images) {
    auto view = image::Elf32View::parse(img, "image");
    if (!view) throw std::runtime_error(view.error().message);
    for (const auto& p : view->phdrs()) {
      if (p.type != image::elf::kPtLoad || p.memsz == 0) continue;
      std::vector<uint8_t> bytes(img.begin() + p.offset, img.begin() + p.offset + p.filesz);
      bytes.resize(p.memsz, 0);
      out.emplace_back(p.paddr, std::move(bytes));
    }
  }
  return out;
}

bool memory_holds_exactly(MachineUnderTest& m, std::span<const uint8_t> signed_image, uint32_t id) {
  const auto segments = expected_segments(signed_image);
  const auto* p = m.machine().description().layout.processor(id);
  for (size_t ri : p->regions) {
    const auto& region = m.machine().soc().region(ri);
    const auto actual = region.all();
    // Every expected segment byte for byte (reading only its own pages)...
    for (const auto& [pa, bytes] : segments) {
      if (pa < region.base() || pa - region.base() >= region.size()) continue;
      const auto at = actual.subspan(static_cast<size_t>(pa - region.base()), bytes.size());
      if (!std::equal(at.begin(), at.end(), bytes.begin())) return false;
    }
    // ...and zeros in every data page outside the segments (holes read as zero).
    for (const auto& [offset, length] : region.data_extents())
      for (uint64_t i = offset; i < offset + length; ++i) {
        const uint64_t pa = region.base() + i;
        const bool inside = std::any_of(segments.begin(), segments.end(), [&](const auto& s) {
          return pa >= s.first && pa - s.first < s.second.size();
        });
        if (!inside && actual[static_cast<size_t>(i)] != 0) return false;
      }
  }
  return true;
}

}  // namespace rproctee::test
