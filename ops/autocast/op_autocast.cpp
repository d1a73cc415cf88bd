// Autocast kernels of mercury::conv2d and mercury::linear (CPU and CUDA): under torch.autocast("cpu",
// dtype=torch.bfloat16) or torch.autocast("cuda") the op runs in float32, as torch's autocast does for the ops on its
// float32 list. Signatures and MCACHE lookups
// compare projections of the vectors; a bfloat16 rounding of the vectors would change which ones collide. The
// output is float32; outside autocast, bfloat16 and float16 inputs are refused with a message that says this.
#include "ops/conv2d_options.h"
#include "ops/linear_options.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/library.h>

namespace mercury {
namespace {

c10::IValue to_float(const c10::IValue& v) {
  if (!v.isTensor()) return v;
  const at::Tensor& t = v.toTensor();
  return (t.scalar_type() == at::kBFloat16 || t.scalar_type() == at::kHalf) ? c10::IValue(t.to(at::kFloat)) : v;
}

// input, weight and bias lead both ops' argument lists.
template <typename Call, c10::DispatchKey autocast_key>
void op_autocast(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(autocast_key);
  const size_t n = Call::arg_count();
  for (size_t i = stack->size() - n; i < stack->size() - n + 3; ++i) (*stack)[i] = to_float((*stack)[i]);
  op.callBoxed(stack);
}

template <c10::DispatchKey autocast_key>
void register_autocast(torch::Library& m) {
  m.impl(Conv2dCall::kOp, torch::CppFunction::makeFromBoxedFunction<&op_autocast<Conv2dCall, autocast_key>>());
  m.impl(LinearCall::kOp, torch::CppFunction::makeFromBoxedFunction<&op_autocast<LinearCall, autocast_key>>());
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, AutocastCPU, m) { register_autocast<c10::DispatchKey::AutocastCPU>(m); }
TORCH_LIBRARY_IMPL(mercury, AutocastCUDA, m) { register_autocast<c10::DispatchKey::AutocastCUDA>(m); }

}  // namespace mercury
