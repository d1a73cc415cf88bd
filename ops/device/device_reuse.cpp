#include "ops/device/device_reuse.h"

#include "ops/cpu/channel_reuse.h"
#include "ops/cpu/reuse_support.h"

namespace mercury {
namespace {

// [N, C_out, H_out, W_out] as rows [positions, groups, C_out / groups] (a copy for an NCHW tensor).
at::Tensor group_rows(const at::Tensor& t, const ConvGeometry& g) {
  return t.permute({0, 2, 3, 1}).reshape({g.positions(), g.groups, g.out_channels / g.groups});
}

// Rows back to [N, C_out, H_out, W_out] (a channels-last view).
at::Tensor from_group_rows(const at::Tensor& rows, const ConvGeometry& g) {
  return rows.view({g.n, g.out_h, g.out_w, g.out_channels}).permute({0, 3, 1, 2});
}

// sources [groups, positions] as the index of a gather/scatter over group_rows.
at::Tensor row_index(const at::Tensor& sources, const ConvGeometry& g) {
  return sources.t().unsqueeze(2).expand({g.positions(), g.groups, g.out_channels / g.groups});
}

}  // namespace

at::Tensor device_reuse_forward(const Conv2dCall& call, const ConvGeometry& g, const at::Tensor& sources) {
  const at::Tensor& input = call.input;
  if (g.positions() == 0) return at::zeros({g.n, g.out_channels, g.out_h, g.out_w}, input.options());
  if (call.options.vector_kind == VectorKind::Channel) return reuse_channel_output(call, g, sources);
  const at::Tensor exact = at::conv2d(input, call.weight, call.bias, call.stride, call.padding, call.dilation,
                                      call.groups);
  const at::Tensor taken = group_rows(exact, g).gather(0, row_index(sources, g));
  return from_group_rows(taken, g).contiguous(input.suggest_memory_format());
}

std::tuple<at::Tensor, at::Tensor> device_reuse_patch_backward(const at::Tensor& grad_output,
                                                               const at::Tensor& sources, const Conv2dCall& call,
                                                               const ConvGeometry& g) {
  const at::Tensor& input = call.input;
  const at::Tensor grad_rows = group_rows(grad_output, g);
  const at::Tensor summed = at::zeros_like(grad_rows).scatter_add_(0, row_index(sources, g), grad_rows);
  auto grads = at::convolution_backward(from_group_rows(summed, g).contiguous(input.suggest_memory_format()), input,
                                        call.weight, at::OptionalIntArrayRef(), {g.stride_h, g.stride_w},
                                        {g.pad_h, g.pad_w}, {g.dilation_h, g.dilation_w}, false, {0, 0}, g.groups,
                                        {true, true, false});
  return {std::get<0>(grads), std::get<1>(grads)};
}

}  // namespace mercury
