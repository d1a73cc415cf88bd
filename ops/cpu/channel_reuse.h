// Reuse of channel vectors (one kh x kw window per input channel): reusing a window's partial sums equals
// multiplying with the reused window in its place, so forward and backward are a gather of windows around the
// layer's GEMMs. Tensor operations only: the CPU and the device kernels both run these, on the call's device.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

#include <tuple>

namespace mercury {

// The output (bias added, in the input's memory format) of a reuse-mode call whose reuse map is `sources`
// [C, positions] (the input's device).
at::Tensor reuse_channel_output(const Conv2dCall& call, const ConvGeometry& g, const at::Tensor& sources);

// {grad_input, grad_weight} of that forward.
std::tuple<at::Tensor, at::Tensor> reuse_channel_backward(const at::Tensor& grad_output, const at::Tensor& input,
                                                          const at::Tensor& weight, const at::Tensor& sources,
                                                          const ConvGeometry& g);

}  // namespace mercury
