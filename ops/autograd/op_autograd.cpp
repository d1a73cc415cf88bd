// Autograd kernels of mercury::conv2d and mercury::linear: run mercury::_<op>_forward below autograd, keep the
// reuse map, and route the gradient through mercury::_<op>_backward (docs: the gradient of the forward that
// actually ran). Both are called with the op's own argument list, so nothing here restates it.
#include "ops/conv2d_options.h"
#include "ops/linear_options.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include <string>

namespace mercury {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

c10::OperatorHandle op_handle(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow((std::string("mercury::") + name).c_str(), "");
}

template <typename Call>
class ReuseFunction : public torch::autograd::Function<ReuseFunction<Call>> {
 public:
  // `args` is the whole argument list; input, weight and bias are given apart so autograd tracks them.
  static variable_list forward(AutogradContext* ctx, const at::Tensor& input, const at::Tensor& weight,
                               const std::optional<at::Tensor>& bias, std::vector<c10::IValue> args) {
    at::AutoDispatchBelowADInplaceOrView guard;
    static const c10::OperatorHandle forward_op = op_handle(Call::kForwardOp);
    torch::jit::Stack stack(args.begin(), args.end());
    forward_op.callBoxed(stack);
    const at::Tensor output = stack[0].toTensor();
    const at::Tensor sources = stack[1].toTensor();
    ctx->save_for_backward({input, weight, sources, bias.value_or(at::Tensor())});
    // The rest of the call for backward; the tensors travel as saved variables (version-checked), not here.
    for (size_t i = 0; i < 3; ++i) args[i] = c10::IValue();
    ctx->saved_data["args"] = c10::ivalue::Tuple::create(std::move(args));
    return {output};
  }

  static variable_list backward(AutogradContext* ctx, const variable_list& grad_outputs) {
    static const c10::OperatorHandle backward_op = op_handle(Call::kBackwardOp);
    const auto saved = ctx->get_saved_variables();
    const auto& args = ctx->saved_data["args"].toTupleRef().elements();
    const bool bias_defined = saved[3].defined();
    torch::jit::Stack stack{grad_outputs[0].contiguous(), saved[2]};
    for (const c10::IValue& a : args) stack.push_back(a);
    stack[2] = saved[0];  // the saved tensors, in place of the forward's references
    stack[3] = saved[1];
    stack[4] = bias_defined ? c10::IValue(saved[3]) : c10::IValue();
    backward_op.callBoxed(stack);
    // One gradient per forward argument: input, weight, bias, and none for the rest of the call.
    return {stack[0].toTensor(), stack[1].toTensor(), bias_defined ? stack[2].toTensor() : at::Tensor(),
            at::Tensor()};
  }
};

template <typename Call>
void op_autograd(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  const size_t n = Call::arg_count();
  std::vector<c10::IValue> args(stack->end() - static_cast<std::ptrdiff_t>(n), stack->end());
  torch::jit::drop(stack, n);
  const at::Tensor input = args[0].toTensor();
  const at::Tensor weight = args[1].toTensor();
  std::optional<at::Tensor> bias = args[2].toOptional<at::Tensor>();
  if (bias.has_value() && !bias->defined()) bias = std::nullopt;
  torch::jit::push(stack, ReuseFunction<Call>::apply(input, weight, bias, std::move(args))[0]);
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, Autograd, m) {
  m.impl(Conv2dCall::kOp, torch::CppFunction::makeFromBoxedFunction<&op_autograd<Conv2dCall>>());
  m.impl(LinearCall::kOp, torch::CppFunction::makeFromBoxedFunction<&op_autograd<LinearCall>>());
}

}  // namespace mercury
