// Meta kernels: output shapes without data, in symbolic sizes (SymInt), so fake tensors, torch.compile with
// dynamic shapes, torch.export and TorchScript shape propagation work.
#include "ops/boxed.h"
#include "ops/meta/gradient_meta.h"
#include "ops/conv2d_options.h"

#include <torch/library.h>

namespace mercury {
namespace {

std::tuple<at::Tensor, at::Tensor> forward_meta(const Conv2dCall& call) {
  const SymConvGeometry g = check_conv2d_symbolic(call);
  const auto& o = call.options;
  at::Tensor out = at::empty_symint({g.n, g.out_channels, g.out_h, g.out_w}, call.input.options());
  const c10::SymInt units = o.vector_kind == VectorKind::Patch ? c10::SymInt(g.groups) : g.c;
  at::Tensor sources = o.mode == Mode::Reuse
                           ? at::empty_symint({units, g.positions()}, call.input.options().dtype(at::kLong))
                           : at::empty({0}, call.input.options().dtype(at::kLong));
  return {out, sources};
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, Meta, m) {
  register_kernels<Conv2dCall, &forward_meta, &backward_meta<Conv2dCall>>(m);
}

}  // namespace mercury
