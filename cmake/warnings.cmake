# Warnings as errors for the project's own targets (not for third-party headers).
add_library(rproctee_warnings INTERFACE)
target_compile_options(rproctee_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wcast-align -Wunused -Wpedantic
  -Wdouble-promotion -Wformat=2 -Wno-missing-field-initializers -Werror
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual>)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false positives of -Wrestrict inside libstdc++'s std::string (PR 105329).
  target_compile_options(rproctee_warnings INTERFACE -Wno-restrict)
endif()
