// The CUDA kernel of the mercury ops, which refuses: mercury's kernels are CPU code (mercury.cuda_kernels is False
// in Python). Without it a CUDA tensor would stop in the dispatcher with "Could not run ... with arguments from the
// 'CUDA' backend"; this says what to do instead. A boxed kernel uses no CUDA header, so it is registered with
// every torch, CPU builds included (the CUDA dispatch key exists in all of them).
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/library.h>

namespace mercury {
namespace {

void refuse_cuda(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  c10::Device device = c10::Device(c10::DeviceType::CUDA);
  for (const c10::IValue& arg : torch::jit::last(stack, op.schema().arguments().size())) {
    if (arg.isTensor() && arg.toTensor().is_cuda()) {
      device = arg.toTensor().device();
      break;
    }
  }
  TORCH_CHECK(false, op.schema().name(), " runs on the CPU only (mercury has no CUDA kernels) but got a tensor on ",
              device, ": move its inputs (and the layer's weight and bias) with .cpu(), and the output back with "
              ".to(\"", device, "\") if needed");
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, CUDA, m) {
  for (const char* op : {"conv2d", "_conv2d_forward", "_conv2d_backward", "linear", "_linear_forward",
                         "_linear_backward"}) {
    m.impl(op, torch::CppFunction::makeFromBoxedFunction<&refuse_cuda>());
  }
}

}  // namespace mercury
