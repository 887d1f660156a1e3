# libteec.so.2: the TEE client API as optee_client 4.2+ ships it (file libteec.so.2.0.0, soname
# libteec.so.2, <tee_client_api.h>, teec.pc), so that OP-TEE host programs build and run against
# a machine unchanged. It is compiled from the normal world's client modules only (teec,
# protocol, common): no TEE, TA, SoC, Unicorn or libfdt code. Internals are hidden; the version
# script exports the nine GlobalPlatform functions.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TEEC_VERSION 2.0.0)
set(libteec_sources)
foreach(module common protocol teec)
  get_target_property(module_sources rproctee_${module} SOURCES)
  list(TRANSFORM module_sources PREPEND ${PROJECT_SOURCE_DIR}/src/)
  list(APPEND libteec_sources ${module_sources})
endforeach()

add_library(teec SHARED ${libteec_sources})
set_target_properties(teec PROPERTIES
  VERSION ${TEEC_VERSION} SOVERSION 2
  CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
  PUBLIC_HEADER ${PROJECT_SOURCE_DIR}/src/teec/tee_client_api.h
  LINK_DEPENDS ${PROJECT_SOURCE_DIR}/src/teec/libteec.map)
# A user-space library: the kernel's own login is refused, as the TEE driver refuses it.
target_compile_definitions(teec PRIVATE RPROCTEE_TEEC_USER_SPACE)
target_include_directories(teec
  PRIVATE ${PROJECT_BINARY_DIR}/include-roots/common ${PROJECT_BINARY_DIR}/include-roots/protocol
          ${PROJECT_BINARY_DIR}/include-roots/teec
  PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src/teec>
         $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(teec PRIVATE fmt::fmt-header-only rproctee_warnings)
target_link_options(teec PRIVATE -Wl,--version-script=${PROJECT_SOURCE_DIR}/src/teec/libteec.map)
if(NOT RPROCTEE_FUZZ)  # clang links no sanitizer runtime into shared libraries
  target_link_options(teec PRIVATE -Wl,--no-undefined)
endif()

install(TARGETS teec EXPORT teecTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT teec NAMELINK_COMPONENT teec
  PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT teec)

# teec.pc finds its prefix from its own location, so a tree installed anywhere works.
file(RELATIVE_PATH TEEC_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(${PROJECT_SOURCE_DIR}/src/teec/teec.pc.in ${PROJECT_BINARY_DIR}/teec.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/teec.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT teec)

# find_package(teec) -> teec::teec.
install(EXPORT teecTargets NAMESPACE teec:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/teec
  COMPONENT teec)
configure_file(${PROJECT_SOURCE_DIR}/src/teec/teecConfig.cmake.in
  ${PROJECT_BINARY_DIR}/teecConfig.cmake @ONLY)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/teecConfigVersion.cmake
  VERSION ${TEEC_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/teecConfig.cmake ${PROJECT_BINARY_DIR}/teecConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/teec COMPONENT teec)
