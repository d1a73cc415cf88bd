// CPU kernels of mercury::linear: the MCACHE lookups of the call's rows (the conv op's call_lookups, on the 1 x 1
// convolution the layer equals), logged, then either the exact linear layer (observe) or MERCURY's approximate one
// (linear_reuse.h). CPU tensors take the device kernel instead under MERCURY_KERNELS=device (ops/kernel_choice.h).
#include "ops/boxed.h"
#include "ops/cpu/call_lookups.h"
#include "ops/cpu/linear_reuse.h"
#include "ops/cpu/log_call.h"
#include "ops/device/device_kernels.h"
#include "ops/kernel_choice.h"
#include "ops/linear_backward.h"
#include "ops/linear_options.h"

#include <torch/library.h>

namespace mercury {
namespace {

std::tuple<at::Tensor, at::Tensor> linear_forward_cpu(const LinearCall& call) {
  const Options& o = call.options;
  const LinearGeometry g = check_linear(call);
  if (o.mode == Mode::Off) return {call.exact_output(), no_reuse_map(call.input)};
  const ConvGeometry lookup = linear_lookup_geometry(g);
  CallLookups lookups = look_up_call(linear_as_conv_call(call, lookup), lookup);
  log_call("linear", linear_as_conv(g), o, lookups.vectors, lookups.hits, std::move(lookups.hitmap));
  if (o.mode == Mode::Observe) return {call.exact_output(), no_reuse_map(call.input)};
  const at::Tensor rows = call.input.reshape({g.rows, g.in_features});
  const at::Tensor out = linear_reuse_forward(rows, call.weight, call.bias, lookups.sources);
  return {out.view(linear_output_sizes(call, g)), lookups.sources};
}

}  // namespace

// Backward is one function for both kernels (ops/linear_backward.h); the device kernel's adds the device path's
// error handling.
TORCH_LIBRARY_IMPL(mercury, CPU, m) {
  register_kernels<LinearCall, &forward_for_cpu_tensors<LinearCall, &linear_forward_cpu, &linear_forward_device>,
                   &backward_for_cpu_tensors<LinearCall, &linear_backward, &linear_backward_device>>(m);
}

}  // namespace mercury
