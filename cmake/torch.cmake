# The torch of Python3_EXECUTABLE, described from what it reports about itself (cmake/torch_info.py) rather than
# by torch's find_package(Torch): for PyPI's CUDA builds that one runs CUDA discovery (Caffe2Config.cmake stops
# with "Could NOT find CUDA" without a toolkit, and select_compute_arch.cmake's try_run fails without a GPU),
# while mercury's kernels are CPU code that needs none of CUDA. CPU and CUDA builds of torch are treated alike.
# Defines, when that interpreter imports torch (TORCH_FOUND):
#   mercury::torch         torch's headers, C++20, its C++ ABI, libc10 and libtorch_cpu. Never libtorch_cuda or
#                          libc10_cuda, and not libtorch.so either: on a CPU build it is an empty shell, on a
#                          CUDA build it would load libtorch_cuda (and the CUDA runtime) into every program.
#   mercury::torch_python  libtorch_python, for the pybind11 module mercury._C
#   TORCH_VERSION (torch.__version__), TORCH_CUDA_VERSION (torch.version.cuda; empty for a CPU build),
#   TORCH_INCLUDE_DIR (holds torch's own pybind11)
set(TORCH_FOUND FALSE)
if(NOT Python3_Interpreter_FOUND)
  return()
endif()
execute_process(COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/torch_info.py
                OUTPUT_VARIABLE torch_info RESULT_VARIABLE torch_info_failed ERROR_VARIABLE torch_info_error)
if(torch_info_failed)
  message(STATUS "torch does not import with ${Python3_EXECUTABLE}: ${torch_info_error}")
  return()
endif()
cmake_language(EVAL CODE "${torch_info}")

add_library(mercury::torch INTERFACE IMPORTED)
target_include_directories(mercury::torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIR} ${TORCH_API_INCLUDE_DIR})
target_compile_features(mercury::torch INTERFACE cxx_std_20)
target_compile_definitions(mercury::torch INTERFACE _GLIBCXX_USE_CXX11_ABI=${TORCH_CXX11_ABI})
# Full paths, not find_library: a cached result would outlive a switch to another environment's torch.
target_link_libraries(mercury::torch INTERFACE ${TORCH_LIBRARY_DIR}/libtorch_cpu.so ${TORCH_LIBRARY_DIR}/libc10.so)
add_library(mercury::torch_python INTERFACE IMPORTED)
target_link_libraries(mercury::torch_python INTERFACE ${TORCH_LIBRARY_DIR}/libtorch_python.so)

set(TORCH_FOUND TRUE)
if(TORCH_CUDA_VERSION)
  message(STATUS "torch ${TORCH_VERSION}: a CUDA ${TORCH_CUDA_VERSION} build; mercury links its CPU libraries only")
else()
  message(STATUS "torch ${TORCH_VERSION}: a CPU build")
endif()
