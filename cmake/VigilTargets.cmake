# Helpers that give every vigil target the same warnings and include root (STYLE.md).

set(VIGIL_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
  -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)

function(vigil_apply_warnings target)
  target_compile_options(${target} PRIVATE ${VIGIL_WARNINGS})
  if(VIGIL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# vigil_library(NAME SOURCES... [DEPS targets...]) defines vigil_<NAME>, rooted at src/.
function(vigil_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(vigil_${name} STATIC ${ARG_SOURCES})
  target_include_directories(vigil_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(vigil_${name} PUBLIC ${ARG_DEPS})
  vigil_apply_warnings(vigil_${name})
endfunction()

# vigil_test(NAME SOURCES... DEPS ... [LABEL label]) adds a GoogleTest executable registered with
# CTest, labelled `unit` unless LABEL names another one (`slow`: left out of the ASan stage). One
# label only: gtest_discover_tests cannot pass a list through.
function(vigil_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE
    VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    VIGIL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  vigil_apply_warnings(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${ARG_LABEL})
endfunction()
