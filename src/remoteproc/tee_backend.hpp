// The remoteproc TEE backend (Linux remoteproc_tee, v16..v22 semantics) over the GlobalPlatform
// TEE Client API: one session per processor; parse_fw = LOAD_FW (authentication) then
// GET_RSC_TABLE and a cached copy; load = LOAD_FW again (the TA answers SUCCESS for the image
// already loaded); find_loaded_rsc_table = GET_RSC_TABLE + rproc_pa_to_va; start/stop =
// START_FW/STOP_FW; release_fw = RELEASE_FW. Without the series' bugs: a failed TEE call fails
// the operation, 64-bit addresses and sizes are kept whole, a firmware without a resource table
// boots, a GET_RSC_TABLE error is an error (not "no table"), release happens once, and the TA's
// reason for a rejection is logged.
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "remoteproc/rproc.hpp"
#include "teec/tee_client_kernel.h"

namespace rproctee::remoteproc {

class TeeBackend final : public RprocOps {
 public:
  /// Opens the session for `processor_id` on the TEE named `tee_name` (TEEC_InitializeContext).
  static Result<std::unique_ptr<TeeBackend>> open(const std::string& tee_name,
                                                  uint32_t processor_id);
  ~TeeBackend() override;

  int parse_fw(Rproc& rproc, const Firmware& fw) override;
  int load(Rproc& rproc, const Firmware& fw) override;
  int find_loaded_rsc_table(Rproc& rproc, const Firmware& fw, uint8_t*& table) override;
  int start(Rproc& rproc) override;
  int stop(Rproc& rproc) override;
  void release_fw(Rproc& rproc) override;
  int coredump(Rproc& rproc, std::vector<uint8_t>& out) override;

 private:
  TeeBackend() = default;
  TEEC_Result invoke(uint32_t command, TEEC_Operation& op);
  /// Logs a failed TA command with the TA's own reason; returns -EIO.
  int failed(Rproc& rproc, const char* command, TEEC_Result res, uint32_t origin);
  int load_image(Rproc& rproc, const Firmware& fw);
  int rsc_table(Rproc& rproc, uint64_t& pa, uint64_t& size);

  TEEC_Context ctx_{};
  TEEC_Session session_{};
  bool has_context_ = false, has_session_ = false;
  uint32_t id_ = 0;
  TEEC_SharedMemory shm_{};  // the image, kept from parse_fw to release_fw
  bool has_shm_ = false;
  uint32_t last_origin_ = 0;
};

}  // namespace rproctee::remoteproc
