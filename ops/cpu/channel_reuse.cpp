#include "ops/cpu/channel_reuse.h"

#include "ops/cpu/reuse_support.h"

namespace mercury {
namespace {

// The input's patch rows [positions, C*kh*kw] with every channel's window taken from the position it reuses
// (sources[ch][p]).
at::Tensor reused_windows(const at::Tensor& rows, const at::Tensor& sources, const ConvGeometry& g) {
  const int64_t window = g.kernel_h * g.kernel_w;
  at::Tensor reused = at::empty_like(rows);
  for (int64_t ch = 0; ch < g.c; ++ch) {
    reused.narrow(1, ch * window, window).copy_(rows.narrow(1, ch * window, window).index_select(0, sources[ch]));
  }
  return reused;
}

// Output rows [positions, C_out] (no bias): reusing a window's partial sums equals multiplying with the reused
// window in its place.
at::Tensor reuse_channel_windows(const at::Tensor& x, const at::Tensor& weight, const ConvGeometry& g,
                                 const at::Tensor& sources) {
  const at::Tensor reused = reused_windows(as_rows(unfold(x, g)), sources, g);
  const at::Tensor w_rows = weight.reshape({g.out_channels, -1});
  const int64_t out_per_group = g.out_channels / g.groups;
  const int64_t group_width = w_rows.size(1);
  at::Tensor out_rows = at::empty({g.positions(), g.out_channels}, x.options());
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    out_rows.narrow(1, grp * out_per_group, out_per_group)
        .copy_(at::mm(reused.narrow(1, grp * group_width, group_width),
                      w_rows.narrow(0, grp * out_per_group, out_per_group).t()));
  }
  return out_rows;
}

}  // namespace

at::Tensor reuse_channel_output(const Conv2dCall& call, const ConvGeometry& g, const at::Tensor& sources) {
  at::Tensor out_rows = reuse_channel_windows(call.input.contiguous(), call.weight, g, sources);
  if (call.bias.has_value()) out_rows.add_(*call.bias);
  return rows_to_output(out_rows, g, call.input);
}

// The gather of reused windows, transposed, through im2col/col2im.
std::tuple<at::Tensor, at::Tensor> reuse_channel_backward(const at::Tensor& grad_output, const at::Tensor& input,
                                                          const at::Tensor& weight, const at::Tensor& sources,
                                                          const ConvGeometry& g) {
  const UnitLayout u = unit_layout(g, VectorKind::Channel);
  const int64_t positions = g.positions();
  const at::Tensor rows = as_rows(unfold(input.contiguous(), g));  // [P, C*kh*kw]
  const at::Tensor reused = reused_windows(rows, sources, g);
  const at::Tensor grad_rows = grad_output.permute({0, 2, 3, 1}).reshape({positions, g.out_channels});
  const at::Tensor w_rows = weight.reshape({g.out_channels, -1});
  const int64_t out_per_group = g.out_channels / g.groups;
  const int64_t group_width = w_rows.size(1);
  at::Tensor grad_w_rows = at::empty_like(w_rows);
  at::Tensor grad_reused = at::empty_like(rows);
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    const at::Tensor go = grad_rows.narrow(1, grp * out_per_group, out_per_group);
    grad_w_rows.narrow(0, grp * out_per_group, out_per_group)
        .copy_(at::mm(go.t(), reused.narrow(1, grp * group_width, group_width)));
    grad_reused.narrow(1, grp * group_width, group_width)
        .copy_(at::mm(go, w_rows.narrow(0, grp * out_per_group, out_per_group)));
  }
  // The gather's transpose: each position's input gradient goes to the vector it reused.
  at::Tensor grad_in_rows = at::zeros_like(rows);
  for (int64_t unit = 0; unit < u.units; ++unit) {
    grad_in_rows.narrow(1, unit * u.width, u.width)
        .index_add_(0, sources[unit], grad_reused.narrow(1, unit * u.width, u.width));
  }
  const at::Tensor grad_cols =
      grad_in_rows.view({g.n, g.out_h * g.out_w, rows.size(1)}).transpose(1, 2).contiguous();
  at::Tensor grad_input = at::col2im(grad_cols, {g.h, g.w}, {g.kernel_h, g.kernel_w},
                                     {g.dilation_h, g.dilation_w}, {g.pad_h, g.pad_w}, {g.stride_h, g.stride_w});
  return {grad_input, grad_w_rows.view(weight.sizes())};
}

}  // namespace mercury
