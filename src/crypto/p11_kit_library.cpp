#include "crypto/p11_kit_library.hpp"

#include <dlfcn.h>

namespace rproctee::crypto::pkcs11 {

namespace {

constexpr const char* kLibrary = "libp11-kit.so.0";

/// `out` = the function `name` of `handle`; a name it lacks is added to `missing`.
template <typename Function>
void resolve(void* handle, const char* name, Function& out, std::string& missing) {
  out = reinterpret_cast<Function>(::dlsym(handle, name));
  if (!out) missing += (missing.empty() ? "" : ", ") + std::string(name);
}

Result<P11KitLibrary> load() {
  // Never unloaded: the functions stay valid for the life of the process.
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return make_error(TeeCode::kNotSupported,
                      "pkcs11: keys need {} (Debian package libp11-kit0), which cannot be "
                      "loaded: {}",
                      kLibrary, ::dlerror());
  P11KitLibrary lib{};
  std::string missing;
  resolve(handle, "p11_kit_uri_new", lib.uri_new, missing);
  resolve(handle, "p11_kit_uri_parse", lib.uri_parse, missing);
  resolve(handle, "p11_kit_uri_message", lib.uri_message, missing);
  resolve(handle, "p11_kit_uri_free", lib.uri_free, missing);
  resolve(handle, "p11_kit_uri_get_pin_value", lib.uri_get_pin_value, missing);
  resolve(handle, "p11_kit_uri_get_pin_source", lib.uri_get_pin_source, missing);
  resolve(handle, "p11_kit_uri_get_module_path", lib.uri_get_module_path, missing);
  resolve(handle, "p11_kit_uri_get_attributes", lib.uri_get_attributes, missing);
  resolve(handle, "p11_kit_uri_match_token_info", lib.uri_match_token_info, missing);
  resolve(handle, "p11_kit_strerror", lib.strerror, missing);
  if (!missing.empty()) {
    ::dlclose(handle);
    return make_error(TeeCode::kNotSupported, "{} lacks {}: a newer p11-kit is needed", kLibrary,
                      missing);
  }
  return lib;
}

}  // namespace

Result<const P11KitLibrary*> p11_kit_library() {
  static const Result<P11KitLibrary> loaded = load();  // C++ guarantees one thread loads it
  if (!loaded) return loaded.error();
  return &*loaded;
}

}  // namespace rproctee::crypto::pkcs11
