// CPU kernels of mercury::conv2d: the MCACHE lookups of a call (call_lookups.h), logged, then either the exact
// convolution (observe) or MERCURY's approximate one (reuse_forward.h); backward: the exact gradient, or the
// gradient of the approximate output (reuse_backward.h).
#include "ops/boxed.h"
#include "ops/conv2d_options.h"
#include "ops/cpu/call_lookups.h"
#include "ops/cpu/log_call.h"
#include "ops/cpu/reuse_backward.h"
#include "ops/cpu/reuse_forward.h"
#include "ops/cpu/reuse_support.h"

#include <torch/library.h>

namespace mercury {
namespace {

std::tuple<at::Tensor, at::Tensor> conv2d_forward_cpu(const Conv2dCall& call) {
  const Options& o = call.options;
  const ConvGeometry g = check_conv2d(call);
  const at::Tensor no_sources = at::empty({0}, call.input.options().dtype(at::kLong));
  auto exact = [&] {
    return at::conv2d(call.input, call.weight, call.bias, call.stride, call.padding, call.dilation, call.groups);
  };
  if (o.mode == Mode::Off) return {exact(), no_sources};
  CallLookups lookups = look_up_call(call, g);
  log_call("conv2d", g, o, lookups.vectors, lookups.hits, std::move(lookups.hitmap));
  if (o.mode == Mode::Observe) return {exact(), no_sources};
  return {reuse_forward(call, g, lookups), lookups.sources};
}

// Gradient of the forward that ran. In reuse mode that is the gradient of the approximate output.
std::tuple<at::Tensor, at::Tensor, at::Tensor> conv2d_backward_cpu(const at::Tensor& grad_output,
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
  auto [grad_input, grad_weight] = reuse_backward(grad_output, sources, call, g);
  return {grad_input, grad_weight, bias_defined ? grad_output.sum({0, 2, 3}) : no_bias};
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, CPU, m) {
  register_kernels<Conv2dCall, &conv2d_forward_cpu, &conv2d_backward_cpu>(m);
}

}  // namespace mercury
