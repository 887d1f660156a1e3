#include "cli/key_source.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>

#include "crypto/pkcs11.hpp"

namespace rproctee::cli {

namespace {

crypto::pkcs11::Options token_options(const std::optional<std::string>& module) {
  return {module, ask_pin_on_terminal};
}

}  // namespace

CLI::Validator key_file_or_uri() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (crypto::pkcs11::is_uri(value) || std::filesystem::is_regular_file(value)) return "";
        return "File does not exist (nor a pkcs11: URI): " + value;
      },
      "FILE|pkcs11:URI");
}

void add_pkcs11_module_option(CLI::App& app, std::optional<std::string>& module) {
  app.add_option("--pkcs11-module,--pkcs11_module", module,
                 "PKCS#11 module (.so) of the token a pkcs11: --key names (default: the URI's "
                 "module-path, else $PKCS11_MODULE)")
      ->check(CLI::ExistingFile)
      ->type_name("PATH");
}

Result<crypto::Signer> load_signer(const std::string& key,
                                   const std::optional<std::string>& key_pwd,
                                   const std::optional<std::string>& module) {
  if (crypto::pkcs11::is_uri(key)) {
    if (key_pwd)
      return make_error(TeeCode::kBadParameters,
                        "--key_pwd is for key files; a token's PIN goes in the URI (pin-value, "
                        "pin-source) or is asked for");
    RPROCTEE_ASSIGN(auto token_key, crypto::pkcs11::open_private_key(key, token_options(module)));
    return crypto::Signer::create(std::move(token_key));
  }
  RPROCTEE_ASSIGN(auto file_key, crypto::PrivateKey::load_file(key, key_pwd));
  return crypto::Signer::create(std::move(file_key));
}

Result<crypto::PublicKey> load_public_key(const std::string& key,
                                          const std::optional<std::string>& module) {
  if (crypto::pkcs11::is_uri(key))
    return crypto::pkcs11::load_public_key(key, token_options(module));
  return crypto::PublicKey::load_file(key);
}

Result<std::string> ask_pin_on_terminal(const std::string& token) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0)
    return make_error(TeeCode::kAccessDenied,
                      "token {} needs a PIN and there is no terminal to ask on: add pin-value or "
                      "pin-source to the URI",
                      token);
  const std::string prompt = fmt::format("PIN for token {}: ", token);
  termios saved{};
  const bool is_terminal = ::tcgetattr(tty, &saved) == 0;
  if (is_terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  ssize_t ignored = ::write(tty, prompt.data(), prompt.size());
  std::string pin;
  char c = 0;
  while (::read(tty, &c, 1) == 1 && c != '\n' && c != '\r') pin += c;
  if (is_terminal) ::tcsetattr(tty, TCSAFLUSH, &saved);
  ignored = ::write(tty, "\n", 1);
  (void)ignored;
  ::close(tty);
  return pin;
}

}  // namespace rproctee::cli
