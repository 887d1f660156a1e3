#include "support/rsc_builder.hpp"

#include "common/byte_writer.hpp"

namespace rproctee::test {

namespace {
void name32(ByteWriter& w, const std::string& name) {
  std::vector<uint8_t> n(32, 0);
  for (size_t i = 0; i < name.size() && i < 32; ++i) n[i] = static_cast<uint8_t>(name[i]);
  w.bytes(n);
}
}  // namespace

RscTableBuilder& RscTableBuilder::add_carveout(uint32_t da, uint32_t pa, uint32_t len,
                                               uint32_t flags, const std::string& name) {
  ByteWriter w;
  for (uint32_t v : {0u, da, pa, len, flags, 0u}) w.u32(v);
  name32(w, name);
  entries_.push_back(w.take());
  return *this;
}

RscTableBuilder& RscTableBuilder::add_devmem(uint32_t da, uint32_t pa, uint32_t len, uint32_t flags,
                                             const std::string& name) {
  add_carveout(da, pa, len, flags, name);
  entries_.back()[0] = 1;
  return *this;
}

RscTableBuilder& RscTableBuilder::add_trace(uint32_t da, uint32_t len, const std::string& name) {
  ByteWriter w;
  for (uint32_t v : {2u, da, len, 0u}) w.u32(v);
  name32(w, name);
  entries_.push_back(w.take());
  return *this;
}

RscTableBuilder& RscTableBuilder::add_vdev(uint32_t id, uint32_t notifyid, uint32_t dfeatures,
                                           const std::vector<VringSpec>& vrings,
                                           uint32_t config_len) {
  ByteWriter w;
  for (uint32_t v : {3u, id, notifyid, dfeatures, 0u, config_len}) w.u32(v);
  w.u8(0);  // status
  w.u8(static_cast<uint8_t>(vrings.size()));
  w.u16(0);
  for (const auto& r : vrings)
    for (uint32_t v : {r.da, r.align, r.num, r.notifyid, 0u}) w.u32(v);
  w.zeros(config_len);
  entries_.push_back(w.take());
  return *this;
}

RscTableBuilder& RscTableBuilder::add_raw(uint32_t type, const std::vector<uint8_t>& body) {
  ByteWriter w;
  w.u32(type);
  w.bytes(body);
  entries_.push_back(w.take());
  return *this;
}

std::vector<uint8_t> RscTableBuilder::build() const {
  ByteWriter w;
  w.u32(1);
  w.u32(static_cast<uint32_t>(entries_.size()));
  w.u32(0);
  w.u32(0);
  uint32_t offset = 16 + 4 * static_cast<uint32_t>(entries_.size());
  for (const auto& e : entries_) {
    w.u32(offset);
    offset += static_cast<uint32_t>((e.size() + 3) & ~size_t{3});
  }
  for (const auto& e : entries_) {
    w.bytes(e);
    w.align(4);
  }
  return w.take();
}

}  // namespace rproctee::test
