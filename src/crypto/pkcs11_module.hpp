// The PKCS#11 calls rproctee makes, over one module loaded with dlopen: the module's lifetime
// (C_Initialize .. C_Finalize), a session on a token (login, object search, attributes, sign),
// and PKCS#11 return codes as errors. Used by pkcs11.cpp only.
#pragma once

#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace rproctee::crypto::pkcs11 {

/// "The PIN is incorrect (CKR 0xa0)" as an Error about `what`; the TEE code says what kind
/// of failure it is (ACCESS_DENIED for PIN problems, ITEM_NOT_FOUND for missing tokens...).
Error token_error(CK_RV rv, std::string_view what);

class Module {
 public:
  /// dlopen + C_GetFunctionList + C_Initialize (OS locking).
  static Result<std::shared_ptr<Module>> load(const std::string& path);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  CK_FUNCTION_LIST* functions() const { return functions_; }
  const std::string& path() const { return path_; }
  /// Slots with a token present.
  Result<std::vector<CK_SLOT_ID>> slots() const;

 private:
  Module(void* handle, CK_FUNCTION_LIST* functions, std::string path)
      : handle_(handle), functions_(functions), path_(std::move(path)) {}
  void* handle_;
  CK_FUNCTION_LIST* functions_;
  std::string path_;
  bool finalize_ = true;  // false when the module was already initialised by someone else
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> open(std::shared_ptr<Module> module, CK_SLOT_ID slot);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// C_Login as the user; `pin` empty with `protected_path`: the token's own PIN pad.
  Status login(const std::string& pin, bool protected_path);
  /// Every object matching `match`.
  Result<std::vector<CK_OBJECT_HANDLE>> find(std::span<const CK_ATTRIBUTE> match);
  /// The value of one attribute; nullopt when the object has none or hides it.
  Result<std::optional<std::vector<uint8_t>>> attribute(CK_OBJECT_HANDLE object,
                                                        CK_ATTRIBUTE_TYPE type);
  /// C_SignInit + C_Sign with a mechanism that takes no parameter.
  Result<std::vector<uint8_t>> sign(CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mechanism,
                                    std::span<const uint8_t> data);

 private:
  Session(std::shared_ptr<Module> module, CK_SESSION_HANDLE handle)
      : module_(std::move(module)), handle_(handle) {}
  std::shared_ptr<Module> module_;
  CK_SESSION_HANDLE handle_;
  bool logged_in_ = false;
};

}  // namespace rproctee::crypto::pkcs11
