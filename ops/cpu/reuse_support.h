// What the CPU reuse paths share: how a call's vectors form independent streams (units), the im2col views of a
// call, and the walk over a reuse map (sources: for every vector, the vector whose result it takes).
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstdint>
#include <vector>

namespace mercury {

struct UnitLayout {
  int64_t units;  // independent vector streams, each with its own MCACHE
  int64_t width;  // vector length
};

UnitLayout unit_layout(const ConvGeometry& g, VectorKind vector);

// [N, C*kh*kw, L]
at::Tensor unfold(const at::Tensor& x, const ConvGeometry& g);
// [N, C*kh*kw, L] -> [N*L, C*kh*kw]: one row per output position, in lookup order.
at::Tensor as_rows(const at::Tensor& cols);
// rows of `out_rows` ([N*L, C_out]) -> [N, C_out, H_out, W_out] in the input's memory format.
at::Tensor rows_to_output(const at::Tensor& out_rows, const ConvGeometry& g, const at::Tensor& input);
// A view of `values` as a long tensor (no copy: `values` must outlive it).
at::Tensor as_long_tensor(const std::vector<int64_t>& values);

// Above this fraction of missed patch vectors the CPU computes a call densely (torch's own convolution kernels)
// and applies the reuse map afterwards: a GEMM over gathered misses runs at about 60% of the throughput of
// torch's convolution here (benchmarks/bench_conv2d.py), so below about half the work it no longer pays. Both
// ways give the same output and gradients (up to float summation order); only the CPU time differs.
constexpr double kDenseMissFraction = 0.5;

bool compute_densely(int64_t misses, int64_t vectors);

// Calls f(oc, n, l, sn, sl) for every output channel oc and every position (n, l) of oc's group that reuses the
// result of position (sn, sl); one task per channel, positions in lookup order.
template <typename F>
void for_each_reuse(const at::Tensor& sources, const ConvGeometry& g, F f) {
  const int64_t per_group = g.out_channels / g.groups;
  const int64_t per_image = g.out_h * g.out_w;
  const int64_t positions = g.positions();
  const int64_t* src_all = sources.data_ptr<int64_t>();
  at::parallel_for(0, g.out_channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t oc = begin; oc < end; ++oc) {
      const int64_t* src = src_all + (oc / per_group) * positions;
      for (int64_t n = 0, v = 0; n < g.n; ++n) {
        for (int64_t l = 0; l < per_image; ++l, ++v) {
          if (src[v] != v) f(oc, n, l, src[v] / per_image, src[v] % per_image);
        }
      }
    }
  });
}

}  // namespace mercury
