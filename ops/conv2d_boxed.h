// Boxed kernels of the three mercury ops, made from one typed function per dispatch key: each reads the argument
// list once (read_conv2d_call) and pushes the results. CPU and Meta register the same adapters.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <tuple>

namespace mercury {

using ForwardFn = std::tuple<at::Tensor, at::Tensor> (*)(const Conv2dCall&);
using BackwardFn = std::tuple<at::Tensor, at::Tensor, at::Tensor> (*)(const at::Tensor& grad_output,
                                                                     const at::Tensor& sources, const Conv2dCall&);

// mercury::conv2d: the output only.
template <ForwardFn forward>
void boxed_conv2d(const c10::OperatorHandle&, torch::jit::Stack* stack) {
  const Conv2dCall call = read_conv2d_call(torch::jit::last(stack, conv2d_arg_count()));
  torch::jit::drop(stack, conv2d_arg_count());
  torch::jit::push(stack, std::get<0>(forward(call)));
}

// mercury::_conv2d_forward: the output and the reuse map.
template <ForwardFn forward>
void boxed_conv2d_forward(const c10::OperatorHandle&, torch::jit::Stack* stack) {
  const Conv2dCall call = read_conv2d_call(torch::jit::last(stack, conv2d_arg_count()));
  torch::jit::drop(stack, conv2d_arg_count());
  auto [output, sources] = forward(call);
  torch::jit::push(stack, std::move(output), std::move(sources));
}

// mercury::_conv2d_backward(grad_output, sources, <the conv2d arguments>).
template <BackwardFn backward>
void boxed_conv2d_backward(const c10::OperatorHandle&, torch::jit::Stack* stack) {
  const size_t n = conv2d_arg_count() + 2;
  const c10::ArrayRef<c10::IValue> args = torch::jit::last(stack, n);
  const at::Tensor grad_output = args[0].toTensor();
  const at::Tensor sources = args[1].toTensor();
  const Conv2dCall call = read_conv2d_call(args.slice(2));
  torch::jit::drop(stack, n);
  auto [grad_input, grad_weight, grad_bias] = backward(grad_output, sources, call);
  torch::jit::push(stack, std::move(grad_input), std::move(grad_weight), std::move(grad_bias));
}

}  // namespace mercury
