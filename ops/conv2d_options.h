// MERCURY settings of one mercury::conv2d call, parsed and checked once.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace mercury {

enum class Mode { Off, Observe, Reuse };
// Patch: the im2col patch of one output position (and group); Channel: one input channel's kh x kw window.
enum class VectorKind { Patch, Channel };
// Sign: the paper's RPQ (sign of each random projection); E2lsh: each projection quantized into buckets;
// Svd: E2lsh's buckets on the weight's top singular directions scaled by the singular values (output space).
enum class SignatureScheme { Sign, E2lsh, Svd };

// Built only by parse_options, which checks every value against the settings table (ops/settings.h).
struct Options {
  int64_t layer_id;
  Mode mode;
  int64_t sig_bits;
  int64_t cache_entries;
  int64_t cache_ways;  // 0: fully associative
  VectorKind vector;
  int64_t seed;
  SignatureScheme signature;
  double bucket_width;  // e2lsh: relative to the RMS of the call's projections
  bool record_hitmap;
};

Options parse_options(int64_t layer_id, const std::string& mode, int64_t sig_bits, int64_t cache_entries,
                      int64_t cache_ways, const std::string& vector, int64_t seed, const std::string& signature,
                      double bucket_width, bool record_hitmap);

Mode parse_mode(const std::string& mode);
VectorKind parse_vector(const std::string& vector);
const char* mode_name(Mode mode);
const char* vector_name(VectorKind vector);
const char* signature_name(SignatureScheme scheme);

// Shape of one conv call, after validating every argument (TORCH_CHECK with the offending value).
struct ConvGeometry {
  int64_t n, c, h, w;
  int64_t out_channels, kernel_h, kernel_w, out_h, out_w, groups;
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int64_t positions() const { return n * out_h * out_w; }
};

ConvGeometry check_conv2d(const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                          at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation,
                          int64_t groups);

}  // namespace mercury
