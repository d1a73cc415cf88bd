# The core both the kernels and the rewrite pass build on: the settings (one list) and the hit log. An object
# library, linked into the one shared op library, so the process has one hit log.
file(GLOB MERCURY_CORE_SOURCES CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/csrc/settings/*.cpp
  ${PROJECT_SOURCE_DIR}/csrc/hitlog/*.cpp)
add_library(mercury_core OBJECT ${MERCURY_CORE_SOURCES})
target_include_directories(mercury_core PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mercury_core PUBLIC mercury::torch)
target_compile_options(mercury_core PRIVATE -Wall -Wextra -Wno-unused-parameter)

# The op library: schema and kernels per dispatch key, with the core.
file(GLOB MERCURY_OP_SOURCES CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/ops/*.cpp
  ${PROJECT_SOURCE_DIR}/ops/cpu/*.cpp
  ${PROJECT_SOURCE_DIR}/ops/autograd/*.cpp
  ${PROJECT_SOURCE_DIR}/ops/autocast/*.cpp
  ${PROJECT_SOURCE_DIR}/ops/device/*.cpp
  ${PROJECT_SOURCE_DIR}/ops/meta/*.cpp)

add_library(mercury_ops SHARED ${MERCURY_OP_SOURCES} $<TARGET_OBJECTS:mercury_core>)
target_include_directories(mercury_ops PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mercury_ops PUBLIC mercury::torch)
target_compile_options(mercury_ops PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
# torch's headers are most of each kernel file's compile time: parsed once for the library, not once per file.
target_precompile_headers(mercury_ops PRIVATE <ATen/ATen.h> <torch/library.h>)

# Copy the library next to mercury/__init__.py so the package works from the source tree (not from sanitizer builds,
# whose libraries Python cannot load without preloading the runtimes; nor from setup.py's, which may be for another
# environment's torch than the checkout's build and takes the libraries from its build folder).
option(MERCURY_COPY_INTO_PACKAGE "Copy the libraries Python loads next to mercury/__init__.py" ON)
# torch_version.txt travels with it: `import mercury` compares it with the torch it imports (a stale build is
# refused with the rebuild command instead of failing on undefined symbols).
file(WRITE ${PROJECT_BINARY_DIR}/torch_version.txt "${TORCH_VERSION}\n")
if(MERCURY_COPY_INTO_PACKAGE AND NOT MERCURY_SANITIZE)
  add_custom_command(TARGET mercury_ops POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DDEST=${PROJECT_SOURCE_DIR}/mercury -DFILE=$<TARGET_FILE:mercury_ops>
            -P ${PROJECT_SOURCE_DIR}/cmake/copy_into_package.cmake
    COMMAND ${CMAKE_COMMAND} -DDEST=${PROJECT_SOURCE_DIR}/mercury -DFILE=${PROJECT_BINARY_DIR}/torch_version.txt
            -P ${PROJECT_SOURCE_DIR}/cmake/copy_into_package.cmake)
endif()

if(EXISTS ${PROJECT_SOURCE_DIR}/csrc/rewrite/CMakeLists.txt)
  add_subdirectory(csrc/rewrite)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/csrc/python/CMakeLists.txt AND Python3_Development_FOUND)
  add_subdirectory(csrc/python)
endif()
if(MERCURY_BUILD_TESTS AND EXISTS ${PROJECT_SOURCE_DIR}/tests/cpp/CMakeLists.txt)
  add_subdirectory(tests/cpp)
endif()
