# `cpack -G DEB` in a build tree: one Debian package with everything `cmake --install` puts
# down, under /usr: rproctee and sign_rproc_fw.py, libteec.so.2 with <tee_client_api.h>,
# teec.pc and the CMake package, the man pages, bash and zsh completions, the systemd units of
# `rproctee machine`, the demo firmware. Depends comes from dpkg-shlibdeps, plus libp11-kit0,
# which rproctee loads with dlopen only for pkcs11: keys (dpkg-shlibdeps cannot see it).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rproctee)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "rproctee developers <rproctee@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "signed firmware for TEE-controlled remote processors (remoteproc + OP-TEE, simulated)")
set(CPACK_PACKAGE_DESCRIPTION
  "rproctee signs firmware as OP-TEE's sign_rproc_fw.py does, verifies it offline, runs the \
secure world (TEE core, remoteproc trusted application, platform service) with a simulated \
STM32MP2/MP1 SoC as a service on /run/rproctee/tee.sock, and ships libteec.so.2 so that OP-TEE \
host programs run against it unchanged.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libp11-kit0")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "systemd")
include(CPack)
