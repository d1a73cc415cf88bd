// Patch rows read from / added into an [N, H, W, C] tensor, for a chosen subset of output positions.
// Unlike im2col, only the positions asked for are touched: MERCURY multiplies only missed patches.
#pragma once

#include "ops/conv2d_options.h"

#include <vector>

namespace mercury {

// Rows [M, kh * kw * C/groups] of group `grp`'s patches at `positions` (n * H_out * W_out + oh * W_out + ow),
// zero where a patch covers padding. Row layout (kh, kw, c) matches weight.permute({0, 2, 3, 1}).
at::Tensor gather_patches(const at::Tensor& x_nhwc, const ConvGeometry& g, int64_t grp,
                          const std::vector<int64_t>& positions);

// The transpose of gather_patches: adds each row back into `grad_nhwc` where its patch came from.
// `positions` must be ascending (rows of one image are added by one thread).
void scatter_add_patches(at::Tensor& grad_nhwc, const at::Tensor& rows, const ConvGeometry& g, int64_t grp,
                         const std::vector<int64_t>& positions);

// out[n, grp * C_out/groups + c, oh, ow] = computed[slot[v], c] for every position v: the results, computed once
// per miss, copied straight into the contiguous [N, C_out, H_out, W_out] output.
void scatter_results_nchw(at::Tensor& out, const at::Tensor& computed, const std::vector<int64_t>& slot,
                          const ConvGeometry& g, int64_t grp);

}  // namespace mercury
