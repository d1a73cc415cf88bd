#include "ops/conv2d_options.h"

#include "ops/settings.h"

#include <stdexcept>

namespace mercury {

namespace {

// Runs a settings-table check; its std::invalid_argument becomes a TORCH_CHECK error naming the op.
template <typename Check>
auto checked(Check&& check) {
  try {
    return check();
  } catch (const std::invalid_argument& e) {
    TORCH_CHECK(false, "mercury::conv2d: ", e.what());
  }
}

std::string checked_text(const std::string& name, const std::string& value) {
  return checked([&] { return check_setting(name, value); });
}

}  // namespace

Mode parse_mode(const std::string& mode) {
  const std::string m = checked_text("mode", mode);
  return m == "off" ? Mode::Off : m == "observe" ? Mode::Observe : Mode::Reuse;
}

VectorKind parse_vector(const std::string& vector) {
  return checked_text("vector", vector) == "patch" ? VectorKind::Patch : VectorKind::Channel;
}

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::Off: return "off";
    case Mode::Observe: return "observe";
    case Mode::Reuse: return "reuse";
  }
  return "?";
}

const char* vector_name(VectorKind vector) { return vector == VectorKind::Patch ? "patch" : "channel"; }

const char* signature_name(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::Sign: return "sign";
    case SignatureScheme::E2lsh: return "e2lsh";
    case SignatureScheme::Svd: return "svd";
  }
  return "?";
}

Options parse_options(int64_t layer_id, const std::string& mode, int64_t sig_bits, int64_t cache_entries,
                      int64_t cache_ways, const std::string& vector, int64_t seed, const std::string& signature,
                      double bucket_width, bool record_hitmap) {
  TORCH_CHECK(layer_id >= 0, "mercury::conv2d: layer_id must be >= 0, got ", layer_id);
  checked([&] {
    check_setting_value("sig_bits", sig_bits);
    check_setting_value("cache_entries", cache_entries);
    check_setting_value("cache_ways", cache_ways);
    check_setting_value("bucket_width", bucket_width);
    check_setting_combination(cache_entries, cache_ways);
  });
  const std::string scheme_name = checked_text("signature", signature);
  const SignatureScheme scheme = scheme_name == "sign"    ? SignatureScheme::Sign
                                 : scheme_name == "e2lsh" ? SignatureScheme::E2lsh
                                                          : SignatureScheme::Svd;
  return Options{layer_id, parse_mode(mode), sig_bits, cache_entries, cache_ways, parse_vector(vector), seed,
                 scheme, bucket_width, record_hitmap};
}

namespace {

void check_pair(at::IntArrayRef values, const char* name) {
  TORCH_CHECK(values.size() == 2, "mercury::conv2d: ", name, " must have 2 values, got ", values.size());
}

}  // namespace

ConvGeometry check_conv2d(const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                          at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation,
                          int64_t groups) {
  TORCH_CHECK(input.dim() == 4, "mercury::conv2d: input must be 4-D [N, C, H, W], got ", input.dim(),
              "-D with shape ", input.sizes());
  TORCH_CHECK(weight.dim() == 4, "mercury::conv2d: weight must be 4-D [C_out, C_in/groups, kH, kW], got ",
              weight.dim(), "-D with shape ", weight.sizes());
  TORCH_CHECK(input.scalar_type() == at::kFloat || input.scalar_type() == at::kDouble,
              "mercury::conv2d: input must be float32 or float64, got ", input.scalar_type(),
              input.scalar_type() == at::kBFloat16 || input.scalar_type() == at::kHalf
                  ? " (under torch.autocast(\"cpu\") the op runs in float32 by itself; outside it, cast to float32)"
                  : "");
  TORCH_CHECK(weight.scalar_type() == input.scalar_type(), "mercury::conv2d: weight dtype ",
              weight.scalar_type(), " differs from input dtype ", input.scalar_type());
  TORCH_CHECK(weight.device() == input.device(), "mercury::conv2d: weight is on ", weight.device(),
              " but input is on ", input.device());
  check_pair(stride, "stride");
  check_pair(padding, "padding");
  check_pair(dilation, "dilation");
  TORCH_CHECK(stride[0] >= 1 && stride[1] >= 1, "mercury::conv2d: stride must be >= 1, got ", stride);
  TORCH_CHECK(padding[0] >= 0 && padding[1] >= 0, "mercury::conv2d: padding must be >= 0, got ", padding);
  TORCH_CHECK(dilation[0] >= 1 && dilation[1] >= 1, "mercury::conv2d: dilation must be >= 1, got ", dilation);
  TORCH_CHECK(groups >= 1, "mercury::conv2d: groups must be >= 1, got ", groups);

  ConvGeometry g;
  g.n = input.size(0);
  g.c = input.size(1);
  g.h = input.size(2);
  g.w = input.size(3);
  g.out_channels = weight.size(0);
  g.kernel_h = weight.size(2);
  g.kernel_w = weight.size(3);
  g.groups = groups;
  TORCH_CHECK(g.c == weight.size(1) * groups, "mercury::conv2d: input has ", g.c,
              " channels but weight expects C_in/groups * groups = ", weight.size(1), " * ", groups, " = ",
              weight.size(1) * groups);
  TORCH_CHECK(g.out_channels % groups == 0, "mercury::conv2d: out_channels (", g.out_channels,
              ") must be divisible by groups (", groups, ")");
  TORCH_CHECK(g.out_channels > 0 && g.kernel_h > 0 && g.kernel_w > 0, "mercury::conv2d: empty weight ",
              weight.sizes());
  if (bias.has_value() && bias->defined()) {
    TORCH_CHECK(bias->dim() == 1 && bias->size(0) == g.out_channels, "mercury::conv2d: bias must have shape [",
                g.out_channels, "], got ", bias->sizes());
    TORCH_CHECK(bias->scalar_type() == input.scalar_type(), "mercury::conv2d: bias dtype ", bias->scalar_type(),
                " differs from input dtype ", input.scalar_type());
  }
  g.stride_h = stride[0];
  g.stride_w = stride[1];
  g.pad_h = padding[0];
  g.pad_w = padding[1];
  g.dilation_h = dilation[0];
  g.dilation_w = dilation[1];
  const int64_t eff_kh = g.dilation_h * (g.kernel_h - 1) + 1;
  const int64_t eff_kw = g.dilation_w * (g.kernel_w - 1) + 1;
  TORCH_CHECK(g.h + 2 * g.pad_h >= eff_kh && g.w + 2 * g.pad_w >= eff_kw, "mercury::conv2d: padded input ",
              g.h + 2 * g.pad_h, "x", g.w + 2 * g.pad_w, " is smaller than the (dilated) kernel ", eff_kh, "x",
              eff_kw);
  g.out_h = (g.h + 2 * g.pad_h - eff_kh) / g.stride_h + 1;
  g.out_w = (g.w + 2 * g.pad_w - eff_kw) / g.stride_w + 1;
  return g;
}

}  // namespace mercury
