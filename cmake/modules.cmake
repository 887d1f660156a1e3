# rproctee_module(NAME SOURCES... [PUBLIC deps...] [PRIVATE deps...])
#
# One static library per folder of src/, named rproctee_NAME. Each module has an include root
# of its own (build/include-roots/NAME/NAME -> src/NAME), so `#include "NAME/x.hpp"` resolves
# only in the modules that link rproctee_NAME: an include across a layer the link graph does
# not allow fails to compile. The allowed edges are design.md's; tests/layering_test.cpp
# states them again and checks every include of src/.
function(rproctee_module name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;PUBLIC;PRIVATE")
  set(root ${PROJECT_BINARY_DIR}/include-roots/${name})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${name} ${root}/${name} SYMBOLIC)
  add_library(rproctee_${name} STATIC ${arg_SOURCES})
  target_include_directories(rproctee_${name} PUBLIC ${root})
  target_link_libraries(rproctee_${name} PUBLIC ${arg_PUBLIC} PRIVATE ${arg_PRIVATE}
    rproctee_warnings)
endfunction()
