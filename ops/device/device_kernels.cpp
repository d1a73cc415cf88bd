// Device kernels of mercury::conv2d and mercury::linear (device_kernels.h), and their registration for the CUDA
// dispatch key. No CUDA header: every device operation goes through ATen or c10's device-generic interfaces, so
// the same library serves CPU-only and CUDA builds of torch, and CPU tensors can take this code (CI runs it).
#include "ops/device/device_kernels.h"

#include "ops/boxed.h"
#include "ops/conv2d_backward.h"
#include "ops/cpu/linear_reuse.h"
#include "ops/device/device_lookups.h"
#include "ops/device/device_reuse.h"
#include "ops/device/lookup_worker.h"
#include "ops/linear_backward.h"

#include <c10/util/Exception.h>
#include <torch/library.h>

#include <string>

namespace mercury {
namespace {

// Running out of memory in a call, as an error that names the call, its tensors and devices.
template <typename Call>
[[noreturn]] void out_of_memory(const char* op, const Call& call, const std::string& what) {
  TORCH_CHECK_WITH(OutOfMemoryError, false, "mercury::", op, " (layer ", call.options.layer_id,
                   ") ran out of memory on ", call.input.device(), " with input ", call.input.sizes(), " ",
                   call.input.scalar_type(), " on ", call.input.device(), " and weight ", call.weight.sizes(), " on ",
                   call.weight.device(), "; this call left no hit-log record, the earlier ones are kept: ", what);
}

// Runs a call's work, naming the call when memory runs out (a device's allocator throws c10::OutOfMemoryError;
// the CPU's a plain error from DefaultCPUAllocator). Its place in the hit log is then abandoned (hitlog::Ticket):
// the records before it are kept, none is half written.
template <typename Call, typename Work>
auto naming_the_call(const char* op, const Call& call, Work work) {
  LookupWorker::instance().rethrow_failure();
  try {
    return work();
  } catch (const c10::OutOfMemoryError& e) {
    out_of_memory(op, call, e.msg());
  } catch (const c10::Error& e) {
    if (e.msg().find("DefaultCPUAllocator") == std::string::npos) throw;
    out_of_memory(op, call, e.msg());
  }
}

std::tuple<at::Tensor, at::Tensor> conv2d_forward(const Conv2dCall& call) {
  const Options& o = call.options;
  const ConvGeometry g = check_conv2d(call);
  if (o.mode == Mode::Off) return {call.exact_output(), no_reuse_map(call.input)};
  if (o.mode == Mode::Observe) {
    look_up_later("conv2d", call, g, g);
    return {call.exact_output(), no_reuse_map(call.input)};
  }
  const ReuseMap sources = look_up_now("conv2d", call, g, g);
  return {device_reuse_forward(call, g, sources.device), sources.device};
}

std::tuple<at::Tensor, at::Tensor> linear_forward(const LinearCall& call) {
  const Options& o = call.options;
  const LinearGeometry g = check_linear(call);
  if (o.mode == Mode::Off) return {call.exact_output(), no_reuse_map(call.input)};
  const ConvGeometry lookup = linear_lookup_geometry(g);
  const Conv2dCall rows_call = linear_as_conv_call(call, lookup);
  if (o.mode == Mode::Observe) {
    look_up_later("linear", rows_call, lookup, linear_as_conv(g));
    return {call.exact_output(), no_reuse_map(call.input)};
  }
  const ReuseMap sources = look_up_now("linear", rows_call, lookup, linear_as_conv(g));
  const at::Tensor rows = call.input.reshape({g.rows, g.in_features});
  const at::Tensor out = linear_reuse_forward(rows, call.weight, call.bias, sources.host);
  return {out.view(linear_output_sizes(call, g)), sources.device};
}

}  // namespace

std::tuple<at::Tensor, at::Tensor> conv2d_forward_device(const Conv2dCall& call) {
  return naming_the_call("conv2d", call, [&] { return conv2d_forward(call); });
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> conv2d_backward_device(const at::Tensor& grad_output,
                                                                      const at::Tensor& sources,
                                                                      const Conv2dCall& call) {
  return naming_the_call("conv2d", call,
                         [&] { return conv2d_backward<&device_reuse_patch_backward>(grad_output, sources, call); });
}

std::tuple<at::Tensor, at::Tensor> linear_forward_device(const LinearCall& call) {
  return naming_the_call("linear", call, [&] { return linear_forward(call); });
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> linear_backward_device(const at::Tensor& grad_output,
                                                                      const at::Tensor& sources,
                                                                      const LinearCall& call) {
  return naming_the_call("linear", call, [&] { return linear_backward(grad_output, sources, call); });
}

TORCH_LIBRARY_IMPL(mercury, CUDA, m) {
  register_kernels<Conv2dCall, &conv2d_forward_device, &conv2d_backward_device>(m);
  register_kernels<LinearCall, &linear_forward_device, &linear_backward_device>(m);
}

}  // namespace mercury
