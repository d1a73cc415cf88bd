// mercury::_linear_backward, the gradient of the forward that ran, for both kernels (tensor operations only, on the
// call's device): the exact gradient, or in reuse mode the gradient of the approximate output (linear_reuse.h).
#pragma once

#include "ops/linear_options.h"

#include <ATen/ATen.h>

#include <tuple>

namespace mercury {

std::tuple<at::Tensor, at::Tensor, at::Tensor> linear_backward(const at::Tensor& grad_output, const at::Tensor& sources,
                                                               const LinearCall& call);

}  // namespace mercury
