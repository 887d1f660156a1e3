// The remoteproc trusted application: per configured processor a state machine
// OFF -(LOAD)-> LOADED -(START)-> STARTED -(STOP)-> OFF, RELEASE from OFF/LOADED, one session
// per processor, several processors at once. Commands and codes as OP-TEE's TA; hardened as
// the security design says (H1-H14).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ta/firmware_loader.hpp"
#include "tee/tee_core.hpp"

namespace rproctee::ta {

enum class FirmwareState { kOff, kLoaded, kStarted };
std::string_view firmware_state_name(FirmwareState state);

class RemoteprocTa final : public tee::TrustedApp {
 public:
  /// Serves the processors of `processors` (the TEE-controlled ones of the platform).
  RemoteprocTa(tee::TeeCore& core, std::vector<ProcessorConfig> processors);
  ~RemoteprocTa() override;

  tee::Uuid uuid() const override;
  std::string name() const override { return "remoteproc TA"; }
  /// params[0] VALUE_INPUT a = processor id: a configured TEE processor (BAD_PARAMETERS
  /// otherwise), not already in a session (BUSY).
  Result<std::unique_ptr<tee::TaSession>> open_session(const tee::Caller& caller,
                                                       tee::TaParams& params) override;

  /// One configured processor's state.
  struct Rproc {
    ProcessorConfig desc;
    std::mutex mutex;
    bool in_session = false;
    FirmwareState state = FirmwareState::kOff;
    std::optional<LoadedFirmware> loaded;
    std::string last_error;
  };

  TeeCode command(Rproc& rproc, uint32_t command, tee::TaParams& params);
  /// For tests and diagnostics.
  FirmwareState state(uint32_t processor_id);

 private:
  TeeCode load(Rproc& r, tee::TaParams& params);
  TeeCode start(Rproc& r);
  TeeCode stop(Rproc& r);
  TeeCode get_rsc_table(Rproc& r, tee::TaParams& params);
  TeeCode coredump(Rproc& r, tee::TaParams& params);
  TeeCode release(Rproc& r);
  TeeCode last_error(Rproc& r, tee::TaParams& params);
  /// Records and logs a rejection, returns its code.
  TeeCode reject(Rproc& r, const char* command, const Error& e);
  PlatformPort port(Rproc& r);

  tee::TeeCore& core_;
  std::vector<std::unique_ptr<Rproc>> rprocs_;
  std::mutex pta_mutex_;
  std::optional<tee::TaToTaSession> pta_;
};

}  // namespace rproctee::ta
