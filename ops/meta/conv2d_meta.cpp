// Meta kernels: output shapes without data, in symbolic sizes (SymInt), so fake tensors, torch.compile with
// dynamic shapes, torch.export and TorchScript shape propagation work.
#include "ops/conv2d_options.h"

#include <ATen/core/stack.h>
#include <torch/library.h>

namespace mercury {
namespace {

std::tuple<at::Tensor, at::Tensor> forward_meta(const Conv2dCall& call) {
  const SymConvGeometry g = check_conv2d_symbolic(call);
  const auto& o = call.options;
  at::Tensor out = at::empty_symint({g.n, g.out_channels, g.out_h, g.out_w}, call.input.options());
  const c10::SymInt units = o.vector == VectorKind::Patch ? c10::SymInt(g.groups) : g.c;
  at::Tensor sources = o.mode == Mode::Reuse
                           ? at::empty_symint({units, g.positions()}, call.input.options().dtype(at::kLong))
                           : at::empty({0}, call.input.options().dtype(at::kLong));
  return {out, sources};
}

void conv2d_meta(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  const Conv2dCall call = read_conv2d_call(torch::jit::last(stack, conv2d_arg_count()));
  torch::jit::drop(stack, conv2d_arg_count());
  torch::jit::push(stack, std::get<0>(forward_meta(call)));
}

void conv2d_forward_meta(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  const Conv2dCall call = read_conv2d_call(torch::jit::last(stack, conv2d_arg_count()));
  torch::jit::drop(stack, conv2d_arg_count());
  auto [out, sources] = forward_meta(call);
  torch::jit::push(stack, std::move(out), std::move(sources));
}

void conv2d_backward_meta(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  const size_t n = conv2d_arg_count() + 2;
  const Conv2dCall call = read_conv2d_call(torch::jit::last(stack, n).slice(2));
  torch::jit::drop(stack, n);
  const at::Tensor& w = call.weight;
  at::Tensor grad_bias = call.bias.has_value() ? at::empty_symint({w.sym_size(0)}, w.options())
                                               : at::empty({0}, w.options());
  torch::jit::push(stack, at::empty_like(call.input), at::empty_like(w), std::move(grad_bias));
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, Meta, m) {
  m.impl("conv2d", torch::CppFunction::makeFromBoxedFunction<&conv2d_meta>());
  m.impl("_conv2d_forward", torch::CppFunction::makeFromBoxedFunction<&conv2d_forward_meta>());
  m.impl("_conv2d_backward", torch::CppFunction::makeFromBoxedFunction<&conv2d_backward_meta>());
}

}  // namespace mercury
