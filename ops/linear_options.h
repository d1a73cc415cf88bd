// One mercury::linear call as the kernels see it: y = x W^T + b over the last dim of x, every leading dim flattened
// into rows, each row one MERCURY input vector. Its settings are the conv2d op's (one settings list); vector_kind
// must be "patch" (a row is the whole vector; "channel" is a conv's per-window split and is refused).
#pragma once

#include "csrc/settings/settings.h"
#include "ops/conv2d_options.h"

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>

#include <optional>
#include <vector>

namespace mercury {

// The arguments of mercury::linear, in schema order (ops/schema.cpp): input, weight, bias, layer_id, then the
// settings in table order.
struct LinearCall {
  at::Tensor input, weight;
  std::optional<at::Tensor> bias;
  Options options;

  static constexpr const char* kOp = "linear";
  static constexpr const char* kForwardOp = "_linear_forward";
  static constexpr const char* kBackwardOp = "_linear_backward";
  static size_t arg_count();
  static LinearCall read(c10::ArrayRef<c10::IValue> args);
  // The exact linear layer (modes off and observe).
  at::Tensor exact_output() const { return at::linear(input, weight, bias); }
};

// Shape of one linear call after validating every argument (TORCH_CHECK with the offending value). Int is int64_t,
// or c10::SymInt for the Meta kernel. samples: what the simulator treats as one sample (one image of a conv): the
// first dim of an input of 3 or more dims (a sequence of tokens), every row of a 2-D input.
template <typename Int>
struct LinearGeometryOf {
  Int rows, in_features, out_features, samples;
};
using LinearGeometry = LinearGeometryOf<int64_t>;
using SymLinearGeometry = LinearGeometryOf<c10::SymInt>;

LinearGeometry check_linear(const LinearCall& call);
// The output's sizes: the input's, with out_features last.
std::vector<int64_t> linear_output_sizes(const LinearCall& call, const LinearGeometry& g);
SymLinearGeometry check_linear_symbolic(const LinearCall& call);

// The call as the 1 x 1 convolution it equals, over samples of rows / samples positions: the geometry the hit log
// and the simulator see (SCALE-Sim's GEMM mapping: M = rows of a sample, K, N).
ConvGeometry linear_as_conv(const LinearGeometry& g);
// The same rows as one image of `rows` positions (the same lookup order): what the MCACHE lookups run on, so that
// signatures are packed in one pass rather than one tiny task per sample. Its input is the rows [1, K, rows, 1]
// (channels-last: a view, no copy), its weight the 2-D weight.
ConvGeometry linear_lookup_geometry(const LinearGeometry& g);
Conv2dCall linear_as_conv_call(const LinearCall& call, const ConvGeometry& lookup);

}  // namespace mercury
