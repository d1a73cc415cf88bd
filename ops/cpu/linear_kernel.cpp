// CPU kernels of mercury::linear: the MCACHE lookups of the call's rows (the conv op's call_lookups, on the 1 x 1
// convolution the layer equals), logged, then either the exact linear layer (observe) or MERCURY's approximate one
// (linear_reuse.h); backward: the exact gradient, or the gradient of the approximate output.
#include "ops/boxed.h"
#include "ops/cpu/call_lookups.h"
#include "ops/cpu/linear_reuse.h"
#include "ops/cpu/log_call.h"
#include "ops/linear_options.h"

#include <torch/library.h>

namespace mercury {
namespace {

std::vector<int64_t> output_sizes(const LinearCall& call, const LinearGeometry& g) {
  std::vector<int64_t> sizes = call.input.sizes().vec();
  sizes.back() = g.out_features;
  return sizes;
}

std::tuple<at::Tensor, at::Tensor> linear_forward_cpu(const LinearCall& call) {
  const Options& o = call.options;
  const LinearGeometry g = check_linear(call);
  const at::Tensor no_sources = at::empty({0}, call.input.options().dtype(at::kLong));
  auto exact = [&] { return at::linear(call.input, call.weight, call.bias); };
  if (o.mode == Mode::Off) return {exact(), no_sources};
  const ConvGeometry lookup = linear_lookup_geometry(g);
  CallLookups lookups = look_up_call(linear_as_conv_call(call, lookup), lookup);
  log_call("linear", linear_as_conv(g), o, lookups.vectors, lookups.hits, std::move(lookups.hitmap));
  if (o.mode == Mode::Observe) return {exact(), no_sources};
  const at::Tensor rows = call.input.reshape({g.rows, g.in_features});
  const at::Tensor out = linear_reuse_forward(rows, call.weight, call.bias, lookups.sources);
  return {out.view(output_sizes(call, g)), lookups.sources};
}

// Gradient of the forward that ran. In reuse mode that is the gradient of the approximate output.
std::tuple<at::Tensor, at::Tensor, at::Tensor> linear_backward_cpu(const at::Tensor& grad_output,
                                                                   const at::Tensor& sources, const LinearCall& call) {
  const LinearGeometry g = check_linear(call);
  const at::Tensor rows = call.input.reshape({g.rows, g.in_features});
  const at::Tensor grad_rows = grad_output.reshape({g.rows, g.out_features});
  // No bias: an empty grad_bias (the schema returns a Tensor); the autograd kernel passes none on.
  const at::Tensor grad_bias = call.bias.has_value() ? grad_rows.sum(0) : at::empty({0}, call.weight.options());
  if (call.options.mode != Mode::Reuse) {
    return {grad_rows.mm(call.weight).view(call.input.sizes()), grad_rows.t().mm(rows), grad_bias};
  }
  TORCH_CHECK(sources.dim() == 2 && sources.size(0) == 1 && sources.size(1) == g.rows,
              "mercury::_linear_backward: sources must have shape [1, ", g.rows, "], got ", sources.sizes());
  auto [grad_input, grad_weight] = linear_reuse_backward(grad_rows, rows, call.weight, sources);
  return {grad_input.view(call.input.sizes()), grad_weight, grad_bias};
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, CPU, m) {
  register_kernels<LinearCall, &linear_forward_cpu, &linear_backward_cpu>(m);
}

}  // namespace mercury
