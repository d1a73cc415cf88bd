// Meta kernels of mercury::linear: output shapes without data, in symbolic sizes (SymInt).
#include "ops/boxed.h"
#include "ops/meta/gradient_meta.h"
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

}  // namespace

TORCH_LIBRARY_IMPL(mercury, Meta, m) {
  register_kernels<LinearCall, &forward_meta, &backward_meta<LinearCall>>(m);
}

}  // namespace mercury
