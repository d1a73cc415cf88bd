#include "ops/cpu/reuse_support.h"

namespace mercury {

UnitLayout unit_layout(const ConvGeometry& g, VectorKind vector) {
  const int64_t window = g.kernel_h * g.kernel_w;
  if (vector == VectorKind::Patch) return {g.groups, (g.c / g.groups) * window};
  return {g.c, window};
}

at::Tensor unfold(const at::Tensor& x, const ConvGeometry& g) {
  return at::im2col(x, {g.kernel_h, g.kernel_w}, {g.dilation_h, g.dilation_w}, {g.pad_h, g.pad_w},
                    {g.stride_h, g.stride_w});
}

at::Tensor as_rows(const at::Tensor& cols) {
  return cols.transpose(1, 2).reshape({-1, cols.size(1)});
}

at::Tensor rows_to_output(const at::Tensor& out_rows, const ConvGeometry& g, const at::Tensor& input) {
  at::Tensor out = out_rows.view({g.n, g.out_h, g.out_w, g.out_channels}).permute({0, 3, 1, 2});
  if (input.suggest_memory_format() == at::MemoryFormat::ChannelsLast) return out;
  return out.contiguous();
}

at::Tensor as_long_tensor(const std::vector<int64_t>& values) {
  return at::from_blob(const_cast<int64_t*>(values.data()), {static_cast<int64_t>(values.size())}, at::kLong);
}

bool compute_densely(int64_t misses, int64_t vectors) {
  return static_cast<double>(misses) > kDenseMissFraction * static_cast<double>(vectors);
}

}  // namespace mercury
