// libp11-kit (RFC 7512 URI parser, PKCS#11 error strings), loaded with dlopen on first use:
// only a key named by a pkcs11: URI pays for the library and its libffi; a file key's
// `rproctee sign` starts without them. Used by pkcs11.cpp and pkcs11_module.cpp only.
#pragma once

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "common/result.hpp"

namespace rproctee::crypto::pkcs11 {

/// The p11-kit functions rproctee calls, resolved from the loaded library.
struct P11KitLibrary {
  decltype(&::p11_kit_uri_new) uri_new;
  decltype(&::p11_kit_uri_parse) uri_parse;
  decltype(&::p11_kit_uri_message) uri_message;
  decltype(&::p11_kit_uri_free) uri_free;
  decltype(&::p11_kit_uri_get_pin_value) uri_get_pin_value;
  decltype(&::p11_kit_uri_get_pin_source) uri_get_pin_source;
  decltype(&::p11_kit_uri_get_module_path) uri_get_module_path;
  decltype(&::p11_kit_uri_get_attributes) uri_get_attributes;
  decltype(&::p11_kit_uri_match_token_info) uri_match_token_info;
  decltype(&::p11_kit_strerror) strerror;
};

/// libp11-kit.so.0, loaded once per process (thread-safe); an error naming the library and the
/// Debian package when it cannot be loaded or lacks a function.
Result<const P11KitLibrary*> p11_kit_library();

}  // namespace rproctee::crypto::pkcs11
