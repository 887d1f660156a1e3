#include "crypto/pkcs11_module.hpp"

#include <dlfcn.h>

#include "crypto/p11_kit_library.hpp"

namespace rproctee::crypto::pkcs11 {

Error token_error(CK_RV rv, std::string_view what) {
  TeeCode code = TeeCode::kGeneric;
  switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_LOCKED:
    case CKR_PIN_EXPIRED:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
      code = TeeCode::kAccessDenied;
      break;
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_SLOT_ID_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
      code = TeeCode::kItemNotFound;
      break;
    case CKR_MECHANISM_INVALID:
    case CKR_KEY_TYPE_INCONSISTENT:
      code = TeeCode::kNotSupported;
      break;
    case CKR_HOST_MEMORY:
    case CKR_DEVICE_MEMORY:
      code = TeeCode::kOutOfMemory;
      break;
    default:
      break;
  }
  // The library is loaded by then (a URI named the token); without it the code alone.
  const auto lib = p11_kit_library();
  if (!lib) return Error{code, fmt::format("{}: CKR {:#x}", what, rv)};
  return Error{code, fmt::format("{}: {} (CKR {:#x})", what, (*lib)->strerror(rv), rv)};
}

Result<std::shared_ptr<Module>> Module::load(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return make_error(TeeCode::kItemNotFound, "cannot load the PKCS#11 module {}: {}", path,
                      ::dlerror());
  auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* functions = nullptr;
  if (!get || get(&functions) != CKR_OK || !functions) {
    ::dlclose(handle);
    return make_error(TeeCode::kBadFormat, "{} is not a PKCS#11 module (no C_GetFunctionList)",
                      path);
  }
  std::shared_ptr<Module> module(new Module(handle, functions, path));
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  const CK_RV rv = functions->C_Initialize(&args);
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    module->finalize_ = false;
  } else if (rv != CKR_OK) {
    module->finalize_ = false;
    return token_error(rv, fmt::format("C_Initialize of {}", path));
  }
  return module;
}

Module::~Module() {
  if (finalize_) functions_->C_Finalize(nullptr);
  ::dlclose(handle_);
}

Result<std::vector<CK_SLOT_ID>> Module::slots() const {
  CK_ULONG count = 0;
  CK_RV rv = functions_->C_GetSlotList(CK_TRUE, nullptr, &count);
  std::vector<CK_SLOT_ID> slots(count);
  if (rv == CKR_OK && count > 0) rv = functions_->C_GetSlotList(CK_TRUE, slots.data(), &count);
  if (rv != CKR_OK) return token_error(rv, fmt::format("C_GetSlotList of {}", path_));
  slots.resize(count);
  return slots;
}

Result<std::unique_ptr<Session>> Session::open(std::shared_ptr<Module> module, CK_SLOT_ID slot) {
  CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
  const CK_RV rv =
      module->functions()->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &handle);
  if (rv != CKR_OK) return token_error(rv, fmt::format("C_OpenSession on slot {}", slot));
  return std::unique_ptr<Session>(new Session(std::move(module), handle));
}

Session::~Session() {
  if (logged_in_) module_->functions()->C_Logout(handle_);
  module_->functions()->C_CloseSession(handle_);
}

Status Session::login(const std::string& pin, bool protected_path) {
  auto* text = reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin.data()));
  const CK_RV rv = module_->functions()->C_Login(handle_, CKU_USER,
                                                 protected_path && pin.empty() ? nullptr : text,
                                                 protected_path && pin.empty() ? 0 : pin.size());
  if (rv == CKR_USER_ALREADY_LOGGED_IN) return {};
  if (rv != CKR_OK) return token_error(rv, "login to the token");
  logged_in_ = true;
  return {};
}

Result<std::vector<CK_OBJECT_HANDLE>> Session::find(std::span<const CK_ATTRIBUTE> match) {
  auto* f = module_->functions();
  CK_RV rv = f->C_FindObjectsInit(handle_, const_cast<CK_ATTRIBUTE*>(match.data()), match.size());
  if (rv != CKR_OK) return token_error(rv, "C_FindObjectsInit");
  std::vector<CK_OBJECT_HANDLE> found;
  for (;;) {
    CK_OBJECT_HANDLE batch[16];
    CK_ULONG n = 0;
    rv = f->C_FindObjects(handle_, batch, 16, &n);
    if (rv != CKR_OK || n == 0) break;
    found.insert(found.end(), batch, batch + n);
  }
  f->C_FindObjectsFinal(handle_);
  if (rv != CKR_OK) return token_error(rv, "C_FindObjects");
  return found;
}

Result<std::optional<std::vector<uint8_t>>> Session::attribute(CK_OBJECT_HANDLE object,
                                                               CK_ATTRIBUTE_TYPE type) {
  auto* f = module_->functions();
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv = f->C_GetAttributeValue(handle_, object, &a, 1);
  if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
      a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
    return std::optional<std::vector<uint8_t>>();
  if (rv != CKR_OK) return token_error(rv, fmt::format("reading attribute {:#x}", type));
  std::vector<uint8_t> value(a.ulValueLen);
  a.pValue = value.data();
  rv = f->C_GetAttributeValue(handle_, object, &a, 1);
  if (rv != CKR_OK) return token_error(rv, fmt::format("reading attribute {:#x}", type));
  value.resize(a.ulValueLen);
  return std::optional<std::vector<uint8_t>>(std::move(value));
}

Result<std::vector<uint8_t>> Session::sign(CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mechanism,
                                           std::span<const uint8_t> data) {
  auto* f = module_->functions();
  CK_MECHANISM m{mechanism, nullptr, 0};
  CK_RV rv = f->C_SignInit(handle_, &m, key);
  if (rv != CKR_OK) return token_error(rv, "C_SignInit");
  auto* input = const_cast<CK_BYTE*>(data.data());
  CK_ULONG size = 0;
  rv = f->C_Sign(handle_, input, data.size(), nullptr, &size);  // the size; the operation stays
  std::vector<uint8_t> signature(size);
  if (rv == CKR_OK) rv = f->C_Sign(handle_, input, data.size(), signature.data(), &size);
  if (rv != CKR_OK) return token_error(rv, "C_Sign");
  signature.resize(size);
  return signature;
}

}  // namespace rproctee::crypto::pkcs11
