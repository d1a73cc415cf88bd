// Reuse on a device: MERCURY's approximate output of a conv call and its gradient from the call's reuse map, with
// tensor operations on the call's device. Patch vectors: the exact convolution (cuDNN on a GPU), then every
// position takes its source's result (one gather); backward adds each position's output gradient to its source's
// (one scatter-add), then the exact convolution backward runs on that gradient. The same values as the CPU kernels'
// gathered GEMMs up to float summation order (scatter-adds on a GPU also add in no fixed order); no work is saved
// here (the simulator counts what a MERCURY array saves). Channel vectors: ops/cpu/channel_reuse.h, shared.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

#include <tuple>

namespace mercury {

// The output (bias added) in the input's memory format; sources [units, positions] on the input's device.
at::Tensor device_reuse_forward(const Conv2dCall& call, const ConvGeometry& g, const at::Tensor& sources);

// {grad_input, grad_weight} of a call with patch vectors and at least one position (ops/conv2d_backward.h does the
// rest).
std::tuple<at::Tensor, at::Tensor> device_reuse_patch_backward(const at::Tensor& grad_output,
                                                               const at::Tensor& sources, const Conv2dCall& call,
                                                               const ConvGeometry& g);

}  // namespace mercury
