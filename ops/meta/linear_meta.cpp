// Meta kernels of mercury::linear: output shapes without data, in symbolic sizes (SymInt).
#include "ops/boxed.h"
#include "ops/linear_options.h"

#include <torch/library.h>

namespace mercury {
namespace {

std::tuple<at::Tensor, at::Tensor> forward_meta(const LinearCall& call) {
  const SymLinearGeometry g = check_linear_symbolic(call);
  std::vector<c10::SymInt> sizes(call.input.sym_sizes().begin(), call.input.sym_sizes().end());
  sizes.back() = g.out_features;
  at::Tensor out = at::empty_symint(sizes, call.input.options());
  const auto index = call.input.options().dtype(at::kLong);
  at::Tensor sources = call.options.mode == Mode::Reuse ? at::empty_symint({c10::SymInt(1), g.rows}, index)
                                                        : at::empty({0}, index);
  return {out, sources};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_meta(const at::Tensor& grad_output,
                                                             const at::Tensor& sources, const LinearCall& call) {
  const at::Tensor& w = call.weight;
  at::Tensor grad_bias = call.bias.has_value() ? at::empty_symint({w.sym_size(0)}, w.options())
                                               : at::empty({0}, w.options());
  return {at::empty_like(call.input), at::empty_like(w), grad_bias};
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, Meta, m) {
  register_kernels<LinearCall, &forward_meta, &backward_meta>(m);
}

}  // namespace mercury
