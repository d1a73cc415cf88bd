// CPU kernels of mercury::conv2d: the MCACHE lookups of a call (call_lookups.h), logged, then either the exact
// convolution (observe) or MERCURY's approximate one (reuse_forward.h); backward: the exact gradient, or the
// gradient of the approximate output (reuse_backward.h). CPU tensors take the device kernels instead under
// MERCURY_KERNELS=device (ops/kernel_choice.h).
#include "ops/boxed.h"
#include "ops/conv2d_backward.h"
#include "ops/conv2d_options.h"
#include "ops/cpu/call_lookups.h"
#include "ops/cpu/log_call.h"
#include "ops/cpu/reuse_backward.h"
#include "ops/cpu/reuse_forward.h"
#include "ops/cpu/reuse_support.h"
#include "ops/device/device_kernels.h"
#include "ops/kernel_choice.h"

#include <torch/library.h>

namespace mercury {
namespace {

std::tuple<at::Tensor, at::Tensor> conv2d_forward_cpu(const Conv2dCall& call) {
  const Options& o = call.options;
  const ConvGeometry g = check_conv2d(call);
  if (o.mode == Mode::Off) return {call.exact_output(), no_reuse_map(call.input)};
  CallLookups lookups = look_up_call(call, g);
  log_call("conv2d", g, o, lookups.vectors, lookups.hits, std::move(lookups.hitmap));
  if (o.mode == Mode::Observe) return {call.exact_output(), no_reuse_map(call.input)};
  return {reuse_forward(call, g, lookups), lookups.sources};
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, CPU, m) {
  register_kernels<Conv2dCall, &forward_for_cpu_tensors<Conv2dCall, &conv2d_forward_cpu, &conv2d_forward_device>,
                   &backward_for_cpu_tensors<Conv2dCall, &conv2d_backward<&reuse_patch_backward>,
                                             &conv2d_backward_device>>(m);
}

}  // namespace mercury
