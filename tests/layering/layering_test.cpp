// The layers of design.md, stated once and checked against the code: every `#include "M/..."`
// in src/ and every module dependency in src/CMakeLists.txt must be an allowed edge. The build
// already refuses an include across a forbidden edge (each module has its own include root);
// this test names the rule, so that a new edge is a decision, not an accident.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;

// module -> the modules it may use (itself always). The normal world never reaches the secure
// world's code (soc, tee, platform, ta, machine); the secure world never reaches the normal
// world's (remoteproc, rpmsg) nor the client library (teec).
const std::map<std::string, std::set<std::string>> kAllowed = {
    {"common", {}},
    {"crypto", {"common"}},
    {"image", {"common", "crypto"}},
    {"protocol", {"common"}},
    {"dt", {"common"}},
    {"soc", {"common", "dt", "protocol"}},
    {"tee", {"common", "protocol"}},
    {"platform", {"common", "crypto", "image", "dt", "soc", "tee", "protocol"}},
    {"ta", {"common", "crypto", "image", "tee", "protocol"}},
    {"machine", {"common", "crypto", "image", "dt", "soc", "tee", "platform", "ta", "protocol"}},
    {"teec", {"common", "protocol"}},
    {"remoteproc", {"common", "crypto", "image", "dt", "protocol", "teec"}},
    {"rpmsg", {"common", "crypto", "image", "dt", "protocol", "teec", "remoteproc"}},
    {"cli",
     {"common", "crypto", "image", "dt", "protocol", "soc", "tee", "platform", "ta", "machine",
      "teec", "remoteproc", "rpmsg"}},
};

fs::path source_dir() {
  return fs::path(RPROCTEE_SOURCE_DIR) / "src";
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool allowed(const std::string& from, const std::string& to) {
  if (from == to) return true;
  auto it = kAllowed.find(from);
  return it != kAllowed.end() && it->second.count(to) > 0;
}

TEST(Layering, EveryFolderOfSrcIsAModuleWithStatedEdges) {
  for (const auto& entry : fs::directory_iterator(source_dir())) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(kAllowed.count(name)) << "src/" << name << " is not in the table of layers";
  }
}

TEST(Layering, EveryIncludeOfSrcIsAnAllowedEdge) {
  const std::regex include(R"re(#\s*include\s*"([a-z_]+)/[^"]+")re");
  size_t checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(source_dir())) {
    if (!entry.is_regular_file()) continue;
    const fs::path rel = fs::relative(entry.path(), source_dir());
    const std::string module = rel.begin()->string();
    const std::string ext = entry.path().extension().string();
    if (ext != ".cpp" && ext != ".hpp" && ext != ".h" && ext != ".c") continue;
    std::istringstream lines(read_text(entry.path()));
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      std::smatch m;
      if (!std::regex_search(line, m, include)) continue;
      ++checked;
      const std::string target = m[1].str();
      if (!kAllowed.count(target)) continue;  // not one of ours (e.g. a system folder)
      EXPECT_TRUE(allowed(module, target))
          << "src/" << rel.string() << ":" << number << " includes " << target << "/: the edge "
          << module << " -> " << target << " crosses the layers";
    }
  }
  EXPECT_GT(checked, 200u);  // the walk really saw the sources
}

TEST(Layering, EveryModuleDependencyInTheBuildIsAnAllowedEdge) {
  const std::string text = read_text(source_dir() / "CMakeLists.txt") + "\n" +
                           read_text(source_dir() / "cli" / "CMakeLists.txt");
  const std::regex module_call(R"(rproctee_module\((\w+)([^)]*)\))");
  const std::regex dependency(R"(rproctee_(\w+))");
  size_t modules = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), module_call);
       it != std::sregex_iterator(); ++it) {
    ++modules;
    const std::string from = (*it)[1].str();
    const std::string body = (*it)[2].str();
    for (auto d = std::sregex_iterator(body.begin(), body.end(), dependency);
         d != std::sregex_iterator(); ++d) {
      const std::string to = (*d)[1].str();
      if (!kAllowed.count(to)) continue;
      EXPECT_TRUE(allowed(from, to))
          << "rproctee_" << from << " links rproctee_" << to << ": the edge " << from << " -> "
          << to << " crosses the layers";
    }
  }
  EXPECT_EQ(modules, kAllowed.size()) << "every module is declared with rproctee_module()";
}

}  // namespace
}  // namespace rproctee::test
