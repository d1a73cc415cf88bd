// One mercury::conv2d call as the kernels see it: its MERCURY settings (Options, parsed and checked once) and its
// convolution arguments, read from the dispatcher's argument list in one place (Conv2dCall::read).
#pragma once

#include "csrc/settings/settings.h"

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>

#include <array>
#include <optional>
#include <string>

namespace mercury {

// The arguments of mercury::conv2d, in schema order (ops/schema.cpp): input, weight, bias, stride, padding,
// dilation, groups, layer_id, then the settings in table order.
struct Conv2dCall {
  at::Tensor input, weight;
  std::optional<at::Tensor> bias;
  std::array<int64_t, 2> stride, padding, dilation;
  int64_t groups;
  Options options;

  // The op's names and argument list, for the kernels every op shares (ops/boxed.h, autograd, autocast).
  static constexpr const char* kOp = "conv2d";
  static constexpr const char* kForwardOp = "_conv2d_forward";
  static constexpr const char* kBackwardOp = "_conv2d_backward";
  // Number of arguments of the conv2d schema (8 + the settings).
  static size_t arg_count();
  // Reads (and checks) one call from `args`, the conv2d arguments in schema order. Reads no tensor sizes, so it
  // also serves tensors with symbolic shapes.
  static Conv2dCall read(c10::ArrayRef<c10::IValue> args);
  // The exact convolution (modes off and observe).
  at::Tensor exact_output() const;
};

// The reuse map of a call that reuses nothing (modes off and observe): empty, on the input's device.
inline at::Tensor no_reuse_map(const at::Tensor& input) { return at::empty({0}, input.options().dtype(at::kLong)); }

// Shape of one conv call, after validating every argument (TORCH_CHECK with the offending value). Int is int64_t
// for real tensors and c10::SymInt for the Meta kernel under symbolic shapes.
template <typename Int>
struct ConvGeometryOf {
  Int n, c, h, w;
  Int out_channels, kernel_h, kernel_w, out_h, out_w;
  int64_t groups;
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  Int positions() const { return n * out_h * out_w; }
};
using ConvGeometry = ConvGeometryOf<int64_t>;
using SymConvGeometry = ConvGeometryOf<c10::SymInt>;

ConvGeometry check_conv2d(const Conv2dCall& call);
SymConvGeometry check_conv2d_symbolic(const Conv2dCall& call);

}  // namespace mercury
