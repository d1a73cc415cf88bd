// Reuse backward on the CPU: the gradient of MERCURY's approximate output. A position that reused vector s's
// result passes its gradient to s's inputs, and the weight gradient sees s's data.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

#include <tuple>

namespace mercury {

// {grad_input, grad_weight} of a reuse-mode call from its reuse map `sources` ([units, positions]).
std::tuple<at::Tensor, at::Tensor> reuse_backward(const at::Tensor& grad_output, const at::Tensor& sources,
                                                  const Conv2dCall& call, const ConvGeometry& g);

}  // namespace mercury
