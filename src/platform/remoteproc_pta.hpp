// The platform service (OP-TEE's remoteproc pseudo-TA): the only code that touches the remote
// processors' memories and reset lines. Reachable only from the remoteproc TA; state per
// processor; every [da, da + size) checked whole against one region of that processor.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "crypto/signature.hpp"
#include "platform/rollback_store.hpp"
#include "platform/secure_config.hpp"
#include "soc/soc.hpp"
#include "tee/ta_api.hpp"

namespace rproctee::platform {

class RemoteprocPta final : public tee::TrustedApp {
 public:
  RemoteprocPta(soc::Soc& soc, const Description& description, RollbackStore& rollback);
  ~RemoteprocPta() override;

  tee::Uuid uuid() const override;
  std::string name() const override { return "remoteproc PTA"; }
  /// Only the remoteproc TA may open it (ACCESS_DENIED otherwise).
  Result<std::unique_ptr<tee::TaSession>> open_session(const tee::Caller& caller,
                                                       tee::TaParams& params) override;

  TeeCode invoke(uint32_t command, tee::TaParams& params);

 private:
  struct Processor;
  Result<Processor*> processor(const tee::TaParams& params);
  /// Where a device range of `p` lies: its region (index in the layout) and address.
  struct Location {
    size_t region = 0;
    uint64_t pa = 0;
  };
  Result<Location> locate(Processor& p, uint64_t da, uint64_t size);

  TeeCode hw_capabilities(tee::TaParams& params);
  TeeCode load_segment(Processor& p, tee::TaParams& params);
  TeeCode set_memory(Processor& p, tee::TaParams& params);
  TeeCode start(Processor& p, tee::TaParams& params);
  TeeCode stop(Processor& p);
  TeeCode da_to_pa(Processor& p, tee::TaParams& params);
  TeeCode verify_digest(tee::TaParams& params);
  TeeCode release(Processor& p);
  TeeCode decrypt(tee::TaParams& params);
  TeeCode rollback_read(Processor& p, tee::TaParams& params);
  TeeCode rollback_commit(Processor& p, tee::TaParams& params);
  TeeCode coredump(Processor& p, tee::TaParams& params);

  soc::Soc& soc_;
  const Description& description_;
  RollbackStore& rollback_;
  std::vector<crypto::Verifier> verifiers_;
  std::vector<std::unique_ptr<Processor>> processors_;
};

}  // namespace rproctee::platform
