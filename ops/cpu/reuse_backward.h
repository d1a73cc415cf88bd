// Reuse backward on the CPU: the gradient of MERCURY's approximate output. A position that reused vector s's
// result passes its gradient to s's inputs, and the weight gradient sees s's data.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

#include <tuple>

namespace mercury {

// {grad_input, grad_weight} of a reuse-mode call with patch vectors and at least one position, from its reuse map
// `sources` ([groups, positions]): the gathered GEMMs over the misses, or the exact backward of the summed output
// gradient above kDenseMissFraction of misses. (ops/conv2d_backward.h does the rest.)
std::tuple<at::Tensor, at::Tensor> reuse_patch_backward(const at::Tensor& grad_output, const at::Tensor& sources,
                                                        const Conv2dCall& call, const ConvGeometry& g);

}  // namespace mercury
