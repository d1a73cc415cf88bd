// Boxed kernels of the mercury ops (conv2d, linear), made from one typed function per dispatch key: each reads the
// argument list once (Call::read) and pushes the results. Call is the op's call struct (Conv2dCall, LinearCall):
// it names the op's argument count and reader. CPU and Meta register the same adapters.
#pragma once

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/library.h>

#include <tuple>

namespace mercury {

template <typename Call>
using ForwardFn = std::tuple<at::Tensor, at::Tensor> (*)(const Call&);
template <typename Call>
using BackwardFn = std::tuple<at::Tensor, at::Tensor, at::Tensor> (*)(const at::Tensor& grad_output,
                                                                     const at::Tensor& sources, const Call&);

// mercury::<op>: the output only.
template <typename Call, ForwardFn<Call> forward>
void boxed_output(const c10::OperatorHandle&, torch::jit::Stack* stack) {
  const Call call = Call::read(torch::jit::last(stack, Call::arg_count()));
  torch::jit::drop(stack, Call::arg_count());
  torch::jit::push(stack, std::get<0>(forward(call)));
}

// mercury::_<op>_forward: the output and the reuse map.
template <typename Call, ForwardFn<Call> forward>
void boxed_forward(const c10::OperatorHandle&, torch::jit::Stack* stack) {
  const Call call = Call::read(torch::jit::last(stack, Call::arg_count()));
  torch::jit::drop(stack, Call::arg_count());
  auto [output, sources] = forward(call);
  torch::jit::push(stack, std::move(output), std::move(sources));
}

// mercury::_<op>_backward(grad_output, sources, <the op's arguments>).
template <typename Call, BackwardFn<Call> backward>
void boxed_backward(const c10::OperatorHandle&, torch::jit::Stack* stack) {
  const size_t n = Call::arg_count() + 2;
  const c10::ArrayRef<c10::IValue> args = torch::jit::last(stack, n);
  const at::Tensor grad_output = args[0].toTensor();
  const at::Tensor sources = args[1].toTensor();
  const Call call = Call::read(args.slice(2));
  torch::jit::drop(stack, n);
  auto [grad_input, grad_weight, grad_bias] = backward(grad_output, sources, call);
  torch::jit::push(stack, std::move(grad_input), std::move(grad_weight), std::move(grad_bias));
}

// Registers an op's three kernels for one dispatch key.
template <typename Call, ForwardFn<Call> forward, BackwardFn<Call> backward>
void register_kernels(torch::Library& m) {
  m.impl(Call::kOp, torch::CppFunction::makeFromBoxedFunction<&boxed_output<Call, forward>>());
  m.impl(Call::kForwardOp, torch::CppFunction::makeFromBoxedFunction<&boxed_forward<Call, forward>>());
  m.impl(Call::kBackwardOp, torch::CppFunction::makeFromBoxedFunction<&boxed_backward<Call, backward>>());
}

}  // namespace mercury
