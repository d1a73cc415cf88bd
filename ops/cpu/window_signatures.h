// Signatures of per-channel kh x kw windows (vector_kind="channel", or patch vectors of a depthwise layer where a
// patch is one channel's window), computed directly from the NCHW input without materialising projections:
// the projections of a block of output positions stay in registers and only their sign bits (or, for e2lsh, the
// projections of one channel) leave them. Same definition as the convolution-based path: projection b of the
// window of channel c at (n, oh, ow) is sum_{i,j} x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] * R[i*kw + j, b]
// (padding taps contribute nothing).
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace mercury {

// Whether window_signatures handles this dtype.
bool window_signatures_supported(at::ScalarType dtype);

// x: NCHW contiguous input; projection: [kh*kw, bits] of x's dtype. Writes the signatures of channel c's
// positions (in (n, oh, ow) order) to sigs + c * positions, for channels [begin, end). `scratch` is reused.
void window_signatures(const at::Tensor& x, const at::Tensor& projection, const ConvGeometry& g,
                       const Options& options, const std::vector<double>& offsets, int64_t channel,
                       uint64_t* sigs, std::vector<double>& scratch);
}  // namespace mercury
