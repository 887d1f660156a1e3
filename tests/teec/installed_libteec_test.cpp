// libteec as an OP-TEE developer meets it: `cmake --install` into a scratch prefix gives
// libteec.so.2 (exporting the GlobalPlatform functions only, none of the TEE or SoC), the
// header, teec.pc and a CMake package; a plain C host program and the example are built with
// `gcc $(pkg-config --cflags --libs teec)` and with find_package(teec), and run the remoteproc
// TA's whole sequence on a real `rproctee machine` process, found with no TEE name.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/machine_child.hpp"
#include "support/run_command.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = RPROCTEE_SOURCE_DIR;
const fs::path kBuildDir = RPROCTEE_BUILD_DIR;
const fs::path kDemoImage = fs::path(RPROCTEE_BUILD_DIR) / "firmware" / "demo-m33.sign";

/// `sh -c SCRIPT` with `env` set (VAR=VALUE each).
CommandResult shell(const std::string& script, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {"/usr/bin/env"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {"/bin/sh", "-c", script});
  return run_command(argv);
}

std::string sh_quote(const fs::path& p) {
  return "'" + p.string() + "'";
}

std::set<std::string> words(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

/// A program built against libteec runs with the sanitizer runtime first when libteec was
/// built with it (the ASan preset).
std::vector<std::string> sanitizer_env() {
#ifdef __SANITIZE_ADDRESS__
  const auto asan = shell("gcc -print-file-name=libasan.so");
  std::string path = asan.out.substr(0, asan.out.find('\n'));
  return {"LD_PRELOAD=" + path};
#else
  return {};
#endif
}

class InstalledLibteec : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prefix_ = new TempDir;
    const auto r = run_command({RPROCTEE_CMAKE_COMMAND, "--install", kBuildDir.string(), "--prefix",
                                prefix_->path().string(), "--component", "teec"});
    install_log_ = new std::string(r.out + r.err);
    installed_ = r.exit_code == 0;
  }
  static void TearDownTestSuite() {
    delete prefix_;
    delete install_log_;
  }
  void SetUp() override { ASSERT_TRUE(installed_) << *install_log_; }

  static fs::path prefix() { return prefix_->path(); }
  /// The one directory that holds libteec.so (lib, or lib/<multiarch>).
  static fs::path libdir() {
    for (const auto& e : fs::recursive_directory_iterator(prefix()))
      if (e.path().filename() == "libteec.so") return e.path().parent_path();
    return prefix() / "lib";
  }
  static std::vector<std::string> build_env() {
    return {"PKG_CONFIG_PATH=" + (libdir() / "pkgconfig").string()};
  }
  std::vector<std::string> run_env(const std::string& tee) const {
    std::vector<std::string> env = sanitizer_env();
    env.push_back("LD_LIBRARY_PATH=" + libdir().string());
    env.push_back("RPROCTEE_TEE=" + tee);
    return env;
  }

  static TempDir* prefix_;
  static std::string* install_log_;
  static bool installed_;
};

TempDir* InstalledLibteec::prefix_ = nullptr;
std::string* InstalledLibteec::install_log_ = nullptr;
bool InstalledLibteec::installed_ = false;

TEST_F(InstalledLibteec, TreeHoldsWhatOpteeClientInstalls) {
  const fs::path lib = libdir();
  EXPECT_TRUE(fs::is_regular_file(prefix() / "include" / "tee_client_api.h"));
  EXPECT_TRUE(fs::is_regular_file(lib / "libteec.so.2.0.0"));
  EXPECT_EQ(fs::read_symlink(lib / "libteec.so.2"), "libteec.so.2.0.0");
  EXPECT_EQ(fs::read_symlink(lib / "libteec.so"), "libteec.so.2");
  EXPECT_TRUE(fs::is_regular_file(lib / "pkgconfig" / "teec.pc"));
  EXPECT_TRUE(fs::is_regular_file(lib / "cmake" / "teec" / "teecConfig.cmake"));
  EXPECT_TRUE(fs::is_regular_file(lib / "cmake" / "teec" / "teecConfigVersion.cmake"));

  const std::string so = sh_quote(lib / "libteec.so.2.0.0");
  const auto dynamic = shell("readelf -d " + so);
  EXPECT_NE(dynamic.out.find("Library soname: [libteec.so.2]"), std::string::npos) << dynamic.out;
  // Only the C and C++ runtimes: no Unicorn, libfdt, OpenSSL or FUSE inside or behind it.
  for (const char* absent : {"unicorn", "fdt", "ssl", "crypto", "fuse", "fmt"})
    EXPECT_EQ(dynamic.out.find(absent), std::string::npos) << absent << "\n" << dynamic.out;
  const auto exported = shell("nm -D --defined-only " + so + " | awk '{print $3}'");
  EXPECT_EQ(words(exported.out),
            (std::set<std::string>{"TEEC_InitializeContext", "TEEC_FinalizeContext",
                                   "TEEC_OpenSession", "TEEC_CloseSession", "TEEC_InvokeCommand",
                                   "TEEC_RegisterSharedMemory", "TEEC_AllocateSharedMemory",
                                   "TEEC_ReleaseSharedMemory", "TEEC_RequestCancellation"}));
  // No code of the secure world or the SoC was linked in.
  const auto all = shell("nm -C " + so + " | grep -c -E 'rproctee::(ta|tee|soc|platform|machine|" +
                         "image|crypto|dt)::' || true");
  EXPECT_EQ(all.out, "0\n");

  const auto version = shell("pkg-config --modversion teec", build_env());
  EXPECT_EQ(version.out, "2.0.0\n") << version.err;
  // teec.pc is relocatable: its directories lead to this tree wherever it was installed.
  const auto cflags = shell("pkg-config --cflags-only-I teec", build_env());
  const auto libs = shell("pkg-config --libs teec", build_env());
  EXPECT_EQ(fs::canonical(cflags.out.substr(2, cflags.out.find_last_not_of(" \n") - 1)),
            fs::canonical(prefix() / "include"))
      << cflags.out;
  EXPECT_NE(libs.out.find("-lteec"), std::string::npos) << libs.out;
  EXPECT_EQ(fs::canonical(libs.out.substr(2, libs.out.find(' ') - 2)), fs::canonical(lib))
      << libs.out;
}

TEST_F(InstalledLibteec, HostProgramBuiltWithPkgConfigRunsTheTasSequence) {
  if (!fs::exists(kDemoImage)) GTEST_SKIP() << "the demo firmware was not built";
  TempDir work;
  // A sanitized build installs a sanitized libteec: its runtime must come first in the
  // program, as in every program linked against that build.
#ifdef __SANITIZE_ADDRESS__
  const std::string cc = "gcc -std=c11 -Wall -Wextra -Werror -fsanitize=address,undefined ";
#else
  const std::string cc = "gcc -std=c11 -Wall -Wextra -Werror ";
#endif
  const auto built =
      shell(cc + sh_quote(kSourceDir / "tests/teec/host_program.c") + " -o " +
                sh_quote(work / "host") + " $(pkg-config --cflags --libs teec) && " + cc +
                sh_quote(kSourceDir / "examples/teec_load_firmware.c") + " -o " +
                sh_quote(work / "example") + " $(pkg-config --cflags --libs teec)",
            build_env());
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;

  MachineChild machine({"--platform", "stm32mp25"});
  ASSERT_TRUE(machine.wait_until_listening()) << machine.stderr_text();
  const auto env = run_env(machine.tee_name());
  const auto ldd = shell("ldd " + sh_quote(work / "host"), env);
  EXPECT_NE(ldd.out.find(libdir().string() + "/libteec.so.2"), std::string::npos) << ldd.out;

  auto with_env = env;
  with_env.insert(with_env.end(), {work / "host", "0", kDemoImage.string()});
  with_env.insert(with_env.begin(), "/usr/bin/env");
  const auto host = run_command(with_env);
  EXPECT_EQ(host.exit_code, 0) << host.out << host.err << machine.stderr_text();
  for (const char* step :
       {"open session, REE_KERNEL login: 0xffff0000 origin 2\n",
        "open session: 0x00000000 origin 4\n",
        "second session on the processor: 0xffff000d origin 4\n",
        "unknown command 0x42: 0xffff0006 origin 4\n", "LOAD_FW: 0x00000000 origin 4\n",
        "GET_RSC_TABLE: 0x00000000 origin 4\n", "resource table: pa 0x0000000081200000",
        "START_FW: 0x00000000 origin 4\n", "STOP_FW: 0x00000000 origin 4\n",
        "RELEASE_FW: 0x00000000 origin 4\n", "all steps answered as OP-TEE's TA does\n"})
    EXPECT_NE(host.out.find(step), std::string::npos) << step << "\n" << host.out;

  // The example program, unchanged, on the same machine.
  auto example = env;
  example.insert(example.begin(), "/usr/bin/env");
  example.insert(example.end(), {work / "example", "0", kDemoImage.string()});
  const auto ran = run_command(example);
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_NE(ran.out.find("RELEASE_FW: memories wiped"), std::string::npos) << ran.out;

  // Without $RPROCTEE_TEE the library looks where optee_client would look for /dev/tee0:
  // /run/rproctee/tee.sock (nothing listens there in this test).
  auto nowhere = sanitizer_env();
  nowhere.insert(nowhere.begin(), {"/usr/bin/env", "-u", "RPROCTEE_TEE"});
  nowhere.push_back("LD_LIBRARY_PATH=" + libdir().string());
  nowhere.insert(nowhere.end(), {work / "host", "0", kDemoImage.string()});
  if (!fs::exists("/run/rproctee/tee.sock")) {
    const auto r = run_command(nowhere);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("TEEC_InitializeContext(NULL): 0xffff0008"), std::string::npos)
        << r.out << r.err;
  }
}

TEST_F(InstalledLibteec, CMakePackageConfigGivesTheImportedTarget) {
  TempDir work;
  std::ofstream(work / "CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.16)\nproject(host C)\n"
         "find_package(teec 2 REQUIRED)\n"
      << "add_executable(host " << (kSourceDir / "tests/teec/host_program.c").string() << ")\n"
      << "target_link_libraries(host PRIVATE teec::teec)\n";
  const auto configured = run_command({RPROCTEE_CMAKE_COMMAND, "-S", work.path().string(), "-B",
                                       work / "build", "-DCMAKE_PREFIX_PATH=" + prefix().string()});
  ASSERT_EQ(configured.exit_code, 0) << configured.out << configured.err;
  const auto built = run_command({RPROCTEE_CMAKE_COMMAND, "--build", work / "build"});
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  // Linked against the installed library (the build tree's RPATH points there).
  const auto ldd = shell("ldd " + sh_quote(work.path() / "build" / "host"), sanitizer_env());
  EXPECT_NE(ldd.out.find(libdir().string() + "/libteec.so.2"), std::string::npos) << ldd.out;
}

}  // namespace
}  // namespace rproctee::test
