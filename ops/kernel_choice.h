// Which kernels CPU tensors take: the CPU kernels (ops/cpu/, the default) or the device kernels (ops/device/), the
// code CUDA tensors always take, so that CI runs the device path without a GPU. Chosen by the environment variable
// MERCURY_KERNELS when the op library is first used (`import mercury` reads it at once, so a bad value stops the
// import); an unknown value is refused with the accepted ones.
#pragma once

#include "ops/boxed.h"

#include <string>

namespace mercury {

constexpr const char* kKernelsVariable = "MERCURY_KERNELS";

// "cpu" or "device" (TORCH_CHECK naming the accepted values when MERCURY_KERNELS holds anything else).
const std::string& kernels_for_cpu_tensors();
bool cpu_tensors_take_device_kernels();

// The CPU dispatch key's kernels: `cpu` or `device` as chosen.
template <typename Call, ForwardFn<Call> cpu, ForwardFn<Call> device>
std::tuple<at::Tensor, at::Tensor> forward_for_cpu_tensors(const Call& call) {
  return cpu_tensors_take_device_kernels() ? device(call) : cpu(call);
}
template <typename Call, BackwardFn<Call> cpu, BackwardFn<Call> device>
std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_for_cpu_tensors(const at::Tensor& grad_output,
                                                                       const at::Tensor& sources, const Call& call) {
  return cpu_tensors_take_device_kernels() ? device(grad_output, sources, call) : cpu(grad_output, sources, call);
}

}  // namespace mercury
