// Builds resource tables for tests (Linux/OpenAMP layout), with raw access for corruption.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rproctee::test {

struct VringSpec {
  uint32_t da = 0xFFFFFFFF, align = 16, num = 16, notifyid = 0;
};

class RscTableBuilder {
 public:
  RscTableBuilder& add_carveout(uint32_t da, uint32_t pa, uint32_t len, uint32_t flags,
                                const std::string& name);
  RscTableBuilder& add_devmem(uint32_t da, uint32_t pa, uint32_t len, uint32_t flags,
                              const std::string& name);
  RscTableBuilder& add_trace(uint32_t da, uint32_t len, const std::string& name);
  RscTableBuilder& add_vdev(uint32_t id, uint32_t notifyid, uint32_t dfeatures,
                            const std::vector<VringSpec>& vrings, uint32_t config_len);
  /// An entry of any type with raw body bytes.
  RscTableBuilder& add_raw(uint32_t type, const std::vector<uint8_t>& body);
  std::vector<uint8_t> build() const;

 private:
  std::vector<std::vector<uint8_t>> entries_;  // each: type word + body
};

}  // namespace rproctee::test
