// Autograd kernel of mercury::conv2d: runs the forward below autograd, keeps the reuse map, and routes the
// gradient through mercury::_conv2d_backward (docs: the gradient of the forward that actually ran).
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

namespace mercury {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::tuple<at::Tensor, at::Tensor> call_forward(
    const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
    at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, int64_t layer_id,
    const std::string& mode, int64_t sig_bits, int64_t cache_entries, int64_t cache_ways,
    const std::string& vector, int64_t seed, const std::string& signature, double bucket_width,
    bool record_hitmap) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("mercury::_conv2d_forward", "")
                       .typed<std::tuple<at::Tensor, at::Tensor>(
                           const at::Tensor&, const at::Tensor&, const c10::optional<at::Tensor>&, at::IntArrayRef,
                           at::IntArrayRef, at::IntArrayRef, int64_t, int64_t, std::string, int64_t, int64_t,
                           int64_t, std::string, int64_t, std::string, double, bool)>();
  return op.call(input, weight, bias, stride, padding, dilation, groups, layer_id, mode, sig_bits, cache_entries,
                 cache_ways, vector, seed, signature, bucket_width, record_hitmap);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> call_backward(
    const at::Tensor& grad_output, const at::Tensor& input, const at::Tensor& weight, const at::Tensor& sources,
    bool bias_defined, at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups,
    const std::string& mode, const std::string& vector) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("mercury::_conv2d_backward", "")
                       .typed<std::tuple<at::Tensor, at::Tensor, at::Tensor>(
                           const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&, bool,
                           at::IntArrayRef, at::IntArrayRef, at::IntArrayRef, int64_t, std::string, std::string)>();
  return op.call(grad_output, input, weight, sources, bias_defined, stride, padding, dilation, groups, mode,
                 vector);
}

class Conv2dFunction : public torch::autograd::Function<Conv2dFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& input, const at::Tensor& weight,
                               const at::Tensor& bias, at::IntArrayRef stride, at::IntArrayRef padding,
                               at::IntArrayRef dilation, int64_t groups, int64_t layer_id, const std::string& mode,
                               int64_t sig_bits, int64_t cache_entries, int64_t cache_ways,
                               const std::string& vector, int64_t seed, const std::string& signature, double bucket_width,
    bool record_hitmap) {
    at::AutoDispatchBelowADInplaceOrView guard;
    const bool bias_defined = bias.numel() > 0;
    const c10::optional<at::Tensor> maybe_bias = bias_defined ? c10::optional<at::Tensor>(bias) : c10::nullopt;
    auto result = call_forward(input, weight, maybe_bias, stride, padding, dilation, groups, layer_id, mode,
                               sig_bits, cache_entries, cache_ways, vector, seed, signature, bucket_width,
                               record_hitmap);
    ctx->save_for_backward({input, weight, std::get<1>(result)});
    ctx->saved_data["bias_defined"] = bias_defined;
    ctx->saved_data["stride"] = stride.vec();
    ctx->saved_data["padding"] = padding.vec();
    ctx->saved_data["dilation"] = dilation.vec();
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["mode"] = mode;
    ctx->saved_data["vector"] = vector;
    return {std::get<0>(result)};
  }

  static variable_list backward(AutogradContext* ctx, const variable_list& grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const bool bias_defined = ctx->saved_data["bias_defined"].toBool();
    auto grads = call_backward(grad_outputs[0].contiguous(), saved[0], saved[1], saved[2], bias_defined,
                               ctx->saved_data["stride"].toIntVector(), ctx->saved_data["padding"].toIntVector(),
                               ctx->saved_data["dilation"].toIntVector(), ctx->saved_data["groups"].toInt(),
                               ctx->saved_data["mode"].toStringRef(), ctx->saved_data["vector"].toStringRef());
    // One entry per forward argument; the settings have no gradient.
    variable_list out(17);
    out[0] = std::get<0>(grads);
    out[1] = std::get<1>(grads);
    out[2] = bias_defined ? std::get<2>(grads) : at::Tensor();
    return out;
  }
};

at::Tensor conv2d_autograd(const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                           at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation,
                           int64_t groups, int64_t layer_id, std::string mode, int64_t sig_bits,
                           int64_t cache_entries, int64_t cache_ways, std::string vector, int64_t seed,
                           std::string signature, double bucket_width, bool record_hitmap) {
  // torch 1.13's Function::apply rejects undefined tensors: an empty tensor stands for "no bias".
  const at::Tensor bias_or_empty = bias.has_value() && bias->defined() ? *bias : at::empty({0}, weight.options());
  return Conv2dFunction::apply(input, weight, bias_or_empty, stride, padding, dilation,
                               groups, layer_id, mode, sig_bits, cache_entries, cache_ways, vector, seed,
                               signature, bucket_width, record_hitmap)[0];
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, Autograd, m) { m.impl("conv2d", TORCH_FN(conv2d_autograd)); }

}  // namespace mercury
