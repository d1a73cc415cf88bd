// Meta kernels: output shapes without data, so shape propagation and tracing work.
#include "ops/conv2d_options.h"

#include <torch/library.h>

namespace mercury {
namespace {

std::tuple<at::Tensor, at::Tensor> conv2d_forward_meta(
    const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
    at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups, int64_t layer_id,
    std::string mode, int64_t sig_bits, int64_t cache_entries, int64_t cache_ways, std::string vector,
    int64_t seed, std::string signature, double bucket_width, bool record_hitmap) {
  const Options o =
      parse_options(layer_id, mode, sig_bits, cache_entries, cache_ways, vector, seed, signature, bucket_width, record_hitmap);
  const ConvGeometry g = check_conv2d(input, weight, bias, stride, padding, dilation, groups);
  at::Tensor out = at::empty({g.n, g.out_channels, g.out_h, g.out_w}, input.options());
  const int64_t units = o.vector == VectorKind::Patch ? g.groups : g.c;
  at::Tensor sources = o.mode == Mode::Reuse ? at::empty({units, g.positions()}, input.options().dtype(at::kLong))
                                             : at::empty({0}, input.options().dtype(at::kLong));
  return {out, sources};
}

at::Tensor conv2d_meta(const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                       at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups,
                       int64_t layer_id, std::string mode, int64_t sig_bits, int64_t cache_entries,
                       int64_t cache_ways, std::string vector, int64_t seed, std::string signature, double bucket_width, bool record_hitmap) {
  return std::get<0>(conv2d_forward_meta(input, weight, bias, stride, padding, dilation, groups, layer_id, mode,
                                         sig_bits, cache_entries, cache_ways, vector, seed, signature, bucket_width, record_hitmap));
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> conv2d_backward_meta(
    const at::Tensor& grad_output, const at::Tensor& input, const at::Tensor& weight, const at::Tensor& sources,
    bool bias_defined, at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups,
    std::string mode, std::string vector) {
  at::Tensor grad_bias = bias_defined ? at::empty({weight.size(0)}, weight.options()) : at::Tensor();
  return {at::empty_like(input), at::empty_like(weight), grad_bias};
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, Meta, m) {
  m.impl("conv2d", TORCH_FN(conv2d_meta));
  m.impl("_conv2d_forward", TORCH_FN(conv2d_forward_meta));
  m.impl("_conv2d_backward", TORCH_FN(conv2d_backward_meta));
}

}  // namespace mercury
