#include "ops/cpu/patches.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>

namespace mercury {
namespace {

// Calls visit(row offset, input offset) for every in-bounds tap of the patch at `pos`, and pad(row offset)
// for every tap that falls in the padding; offsets in elements.
template <typename Visit, typename Pad>
void for_each_tap(const ConvGeometry& g, int64_t grp, int64_t pos, Visit visit, Pad pad) {
  const int64_t cg = g.c / g.groups;
  const int64_t n = pos / (g.out_h * g.out_w);
  const int64_t oh = (pos / g.out_w) % g.out_h, ow = pos % g.out_w;
  for (int64_t i = 0; i < g.kernel_h; ++i) {
    const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
    for (int64_t j = 0; j < g.kernel_w; ++j) {
      const int64_t iw = ow * g.stride_w - g.pad_w + j * g.dilation_w;
      if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) {
        pad((i * g.kernel_w + j) * cg);
        continue;
      }
      visit((i * g.kernel_w + j) * cg, ((n * g.h + ih) * g.w + iw) * g.c + grp * cg);
    }
  }
}

}  // namespace

at::Tensor gather_patches(const at::Tensor& x_nhwc, const ConvGeometry& g, int64_t grp,
                          const std::vector<int64_t>& positions) {
  const int64_t cg = g.c / g.groups;
  const int64_t width = g.kernel_h * g.kernel_w * cg;
  const int64_t count = static_cast<int64_t>(positions.size());
  // Written in full below (padding taps as zeros): no separate zero fill of a possibly large buffer.
  at::Tensor rows = at::empty({count, width}, x_nhwc.options());
  AT_DISPATCH_FLOATING_TYPES(x_nhwc.scalar_type(), "mercury_gather_patches", [&] {
    const scalar_t* in = x_nhwc.data_ptr<scalar_t>();
    scalar_t* out = rows.data_ptr<scalar_t>();
    at::parallel_for(0, count, 64, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m) {
        scalar_t* row = out + m * width;
        for_each_tap(
            g, grp, positions[m], [&](int64_t r, int64_t x) { std::copy(in + x, in + x + cg, row + r); },
            [&](int64_t r) { std::fill(row + r, row + r + cg, scalar_t(0)); });
      }
    });
  });
  return rows;
}

void scatter_add_patches(at::Tensor& grad_nhwc, const at::Tensor& rows, const ConvGeometry& g, int64_t grp,
                         const std::vector<int64_t>& positions) {
  const int64_t cg = g.c / g.groups;
  const int64_t width = rows.size(1);
  const int64_t per_image = g.out_h * g.out_w;
  const at::Tensor src_rows = rows.contiguous();
  AT_DISPATCH_FLOATING_TYPES(grad_nhwc.scalar_type(), "mercury_scatter_add_patches", [&] {
    const scalar_t* in = src_rows.data_ptr<scalar_t>();
    scalar_t* out = grad_nhwc.data_ptr<scalar_t>();
    // Patches of one image overlap, so each image is one task.
    at::parallel_for(0, g.n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        const auto first = std::lower_bound(positions.begin(), positions.end(), n * per_image);
        const auto last = std::lower_bound(first, positions.end(), (n + 1) * per_image);
        for (auto it = first; it != last; ++it) {
          const scalar_t* row = in + (it - positions.begin()) * width;
          for_each_tap(
              g, grp, *it, [&](int64_t r, int64_t x) { for (int64_t k = 0; k < cg; ++k) out[x + k] += row[r + k]; },
              [](int64_t) {});
        }
      }
    });
  });
}

void scatter_results_nchw(at::Tensor& out, const at::Tensor& computed, const std::vector<int64_t>& slot,
                          const ConvGeometry& g, int64_t grp) {
  const int64_t out_per_group = computed.size(1);
  const int64_t per_image = g.out_h * g.out_w;
  const at::Tensor by_channel = computed.t().contiguous();  // [C_out/groups, M]: one channel's results together
  AT_DISPATCH_FLOATING_TYPES(out.scalar_type(), "mercury_scatter_results", [&] {
    const scalar_t* in = by_channel.data_ptr<scalar_t>();
    scalar_t* dst = out.data_ptr<scalar_t>();
    const int64_t m = by_channel.size(1);
    at::parallel_for(0, g.n * out_per_group, 1, [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t n = task / out_per_group, c = task % out_per_group;
        const scalar_t* results = in + c * m;
        const int64_t* s = slot.data() + n * per_image;
        scalar_t* row = dst + (n * g.out_channels + grp * out_per_group + c) * per_image;
        for (int64_t l = 0; l < per_image; ++l) row[l] = results[s[l]];
      }
    });
  });
}

}  // namespace mercury
