// The device kernels of mercury::conv2d and mercury::linear: what CUDA tensors take (registered for the CUDA
// dispatch key), and CPU tensors under MERCURY_KERNELS=device (ops/kernel_choice.h). Tensor operations on the call's
// device (signatures, the layer, reuse's gathers), the MCACHE served on the host by the CPU kernels' cache code.
#pragma once

#include "ops/conv2d_options.h"
#include "ops/linear_options.h"

#include <ATen/ATen.h>

#include <tuple>

namespace mercury {

std::tuple<at::Tensor, at::Tensor> conv2d_forward_device(const Conv2dCall& call);
std::tuple<at::Tensor, at::Tensor, at::Tensor> conv2d_backward_device(const at::Tensor& grad_output,
                                                                      const at::Tensor& sources,
                                                                      const Conv2dCall& call);
std::tuple<at::Tensor, at::Tensor> linear_forward_device(const LinearCall& call);
std::tuple<at::Tensor, at::Tensor, at::Tensor> linear_backward_device(const at::Tensor& grad_output,
                                                                      const at::Tensor& sources,
                                                                      const LinearCall& call);

}  // namespace mercury
