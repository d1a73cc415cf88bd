#include "ops/linear_backward.h"

#include "ops/cpu/linear_reuse.h"

namespace mercury {

std::tuple<at::Tensor, at::Tensor, at::Tensor> linear_backward(const at::Tensor& grad_output, const at::Tensor& sources,
                                                               const LinearCall& call) {
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
  TORCH_CHECK(sources.device() == call.input.device(), "mercury::_linear_backward: sources is on ",
              sources.device(), " but input is on ", call.input.device());
  auto [grad_input, grad_weight] = linear_reuse_backward(grad_rows, rows, call.weight, sources);
  return {grad_input.view(call.input.sizes()), grad_weight, grad_bias};
}

}  // namespace mercury
