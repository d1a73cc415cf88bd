// Autocast (CPU) kernel of mercury::conv2d: under torch.autocast("cpu", dtype=torch.bfloat16) the op runs in
// float32, as torch's autocast does for the ops on its float32 list. Signatures and MCACHE lookups compare
// projections of the vectors; a bfloat16 rounding of the vectors would change which ones collide. The output is
// float32; outside autocast, bfloat16 and float16 inputs are refused with a message that says this.
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/library.h>

namespace mercury {
namespace {

at::Tensor to_float(const at::Tensor& t) {
  return (t.scalar_type() == at::kBFloat16 || t.scalar_type() == at::kHalf) ? t.to(at::kFloat) : t;
}

at::Tensor conv2d_autocast(const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                           at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation,
                           int64_t groups, int64_t layer_id, std::string mode, int64_t sig_bits,
                           int64_t cache_entries, int64_t cache_ways, std::string vector, int64_t seed,
                           std::string signature, double bucket_width, bool record_hitmap) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("mercury::conv2d", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const c10::optional<at::Tensor>&,
                                         at::IntArrayRef, at::IntArrayRef, at::IntArrayRef, int64_t, int64_t,
                                         std::string, int64_t, int64_t, int64_t, std::string, int64_t, std::string,
                                         double, bool)>();
  const c10::optional<at::Tensor> bias_float =
      bias.has_value() && bias->defined() ? c10::optional<at::Tensor>(to_float(*bias)) : c10::nullopt;
  return op.call(to_float(input), to_float(weight), bias_float, stride, padding, dilation, groups, layer_id, mode,
                 sig_bits, cache_entries, cache_ways, vector, seed, signature, bucket_width, record_hitmap);
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, AutocastCPU, m) { m.impl("conv2d", TORCH_FN(conv2d_autocast)); }

}  // namespace mercury
