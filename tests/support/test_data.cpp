#include "support/test_data.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace rproctee::test {

std::filesystem::path vectors_dir() {
  return std::filesystem::path(RPROCTEE_TEST_DATA_DIR) / "vectors";
}
std::filesystem::path shared_vectors_dir() {
  return RPROCTEE_SHARED_VECTORS_DIR;
}
bool have_shared_vectors() {
  return std::filesystem::exists(shared_vectors_dir() / "real");
}
std::string rproctee_binary() {
  return RPROCTEE_BIN;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rproctee-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<VectorRow> vector_rows() {
  std::ifstream in(vectors_dir() / "manifest.tsv");
  std::vector<VectorRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    VectorRow r;
    std::string det, args;
    std::getline(fields, r.name, '\t');
    std::getline(fields, r.script, '\t');
    std::getline(fields, det, '\t');
    std::getline(fields, r.verify_key, '\t');
    std::getline(fields, args);
    r.deterministic = det == "yes";
    std::istringstream words(args);
    for (std::string w; words >> w;) r.args.push_back(w);
    rows.push_back(r);
  }
  return rows;
}

}  // namespace rproctee::test
