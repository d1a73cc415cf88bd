// mercury::_conv2d_backward, the gradient of the forward that ran, for both kernels: the exact gradient, or in reuse
// mode the gradient of the approximate output, from the reuse map: channel vectors through the shared
// ops/cpu/channel_reuse.h, patch vectors through `patch_backward` (the CPU kernels' gathered GEMMs,
// ops/cpu/reuse_backward.h, or the device kernels' scatter-add, ops/device/device_reuse.h).
#pragma once

#include "ops/conv2d_options.h"
#include "ops/cpu/channel_reuse.h"
#include "ops/cpu/reuse_support.h"

#include <ATen/ATen.h>

#include <tuple>
#include <vector>

namespace mercury {

using ConvReuseBackward = std::tuple<at::Tensor, at::Tensor> (*)(const at::Tensor& grad_output,
                                                                 const at::Tensor& sources, const Conv2dCall& call,
                                                                 const ConvGeometry& g);

template <ConvReuseBackward patch_backward>
std::tuple<at::Tensor, at::Tensor, at::Tensor> conv2d_backward(const at::Tensor& grad_output,
                                                               const at::Tensor& sources, const Conv2dCall& call) {
  const ConvGeometry g = check_conv2d(call);
  const bool bias_defined = call.bias.has_value();
  // No bias: an empty grad_bias (the schema returns a Tensor); the autograd kernel passes none on.
  const at::Tensor no_bias = at::empty({0}, call.weight.options());
  if (call.options.mode != Mode::Reuse) {
    std::vector<int64_t> bias_sizes{g.out_channels};
    auto grads = at::convolution_backward(grad_output, call.input, call.weight,
                                          bias_defined ? at::OptionalIntArrayRef(bias_sizes) : at::OptionalIntArrayRef(),
                                          call.stride, call.padding, call.dilation, false, {0, 0}, call.groups,
                                          {true, true, bias_defined});
    return {std::get<0>(grads), std::get<1>(grads), bias_defined ? std::get<2>(grads) : no_bias};
  }
  const int64_t units = unit_layout(g, call.options.vector_kind).units;
  TORCH_CHECK(sources.dim() == 2 && sources.size(0) == units && sources.size(1) == g.positions(),
              "mercury::_conv2d_backward: sources must have shape [", units, ", ", g.positions(), "], got ",
              sources.sizes());
  TORCH_CHECK(sources.device() == call.input.device(), "mercury::_conv2d_backward: sources is on ",
              sources.device(), " but input is on ", call.input.device());
  at::Tensor grad_input, grad_weight;
  if (g.positions() == 0) {
    grad_input = at::zeros_like(call.input);
    grad_weight = at::zeros_like(call.weight);
  } else if (call.options.vector_kind == VectorKind::Channel) {
    std::tie(grad_input, grad_weight) = reuse_channel_backward(grad_output, call.input, call.weight, sources, g);
  } else {
    std::tie(grad_input, grad_weight) = patch_backward(grad_output, sources, call, g);
  }
  return {grad_input, grad_weight, bias_defined ? grad_output.sum({0, 2, 3}) : no_bias};
}

}  // namespace mercury
