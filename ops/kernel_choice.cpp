#include "ops/kernel_choice.h"

#include <c10/util/Exception.h>
#include <torch/library.h>

#include <cstdlib>

namespace mercury {
namespace {

std::string read_choice() {
  const char* value = std::getenv(kKernelsVariable);
  const std::string choice = value == nullptr || *value == '\0' ? "cpu" : value;
  TORCH_CHECK(choice == "cpu" || choice == "device", kKernelsVariable, "='", choice,
              "' is not a kernel choice: use 'cpu' (CPU tensors take the CPU kernels, the default) or 'device' (CPU "
              "tensors take the device kernels that CUDA tensors take)");
  return choice;
}

}  // namespace

const std::string& kernels_for_cpu_tensors() {
  // A bad value throws here on every call (a static whose initialiser throws is tried again next time).
  static const std::string choice = read_choice();
  return choice;
}

bool cpu_tensors_take_device_kernels() { return kernels_for_cpu_tensors() == "device"; }

TORCH_LIBRARY_FRAGMENT(mercury, m) {
  m.def("mercury::kernels_for_cpu_tensors() -> str", [] { return kernels_for_cpu_tensors(); });
}

}  // namespace mercury
