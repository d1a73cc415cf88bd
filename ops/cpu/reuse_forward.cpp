#include "ops/cpu/reuse_forward.h"

#include "ops/cpu/channel_reuse.h"
#include "ops/cpu/patches.h"
#include "ops/cpu/reuse_support.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

namespace mercury {
namespace {

// Dense reuse forward: the exact convolution everywhere, then every hit takes its source's result (a source is a
// miss, so it still holds its own).
at::Tensor reuse_patches_dense(const at::Tensor& input, const at::Tensor& weight, const ConvGeometry& g,
                               const at::Tensor& sources) {
  at::Tensor out = at::conv2d(input, weight, {}, {g.stride_h, g.stride_w}, {g.pad_h, g.pad_w},
                              {g.dilation_h, g.dilation_w}, g.groups).contiguous();
  const int64_t per_image = g.out_h * g.out_w;
  AT_DISPATCH_FLOATING_TYPES(out.scalar_type(), "mercury_reuse_dense", [&] {
    scalar_t* o = out.data_ptr<scalar_t>();
    for_each_reuse(sources, g, [&](int64_t oc, int64_t n, int64_t l, int64_t sn, int64_t sl) {
      o[(n * g.out_channels + oc) * per_image + l] = o[(sn * g.out_channels + oc) * per_image + sl];
    });
  });
  return out;
}

// Patch vectors: one GEMM over each group's unique missed patches; every position copies its result.
at::Tensor reuse_patches(const at::Tensor& input, const at::Tensor& weight, const ConvGeometry& g,
                         const std::vector<CacheAssignment>& assignment) {
  const at::Tensor x_nhwc = input.permute({0, 2, 3, 1}).contiguous();
  const int64_t out_per_group = g.out_channels / g.groups;
  at::Tensor out = at::empty({g.n, g.out_channels, g.out_h, g.out_w}, input.options());
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    const CacheAssignment& a = assignment[grp];
    const at::Tensor w_rows = weight.narrow(0, grp * out_per_group, out_per_group).permute({0, 2, 3, 1})
                                  .reshape({out_per_group, -1});
    const at::Tensor computed = at::mm(gather_patches(x_nhwc, g, grp, a.miss_vectors), w_rows.t());
    scatter_results_nchw(out, computed, a.slot, g, grp);
  }
  return out;
}

// Patch vectors of a depthwise-style layer (one input channel per group, patch = that channel's window): each
// missed patch is multiplied with its group's filters directly (a GEMM of width kh*kw per group would cost more
// than the products), a hit copies the result of its source, which precedes it in lookup order.
at::Tensor reuse_depthwise(const at::Tensor& x, const at::Tensor& weight, const ConvGeometry& g,
                           const at::Tensor& sources) {
  at::Tensor out = at::empty({g.n, g.out_channels, g.out_h, g.out_w}, x.options());
  const int64_t per_group = g.out_channels / g.groups;
  const int64_t taps = g.kernel_h * g.kernel_w;
  const int64_t per_image = g.out_h * g.out_w;
  const int64_t positions = g.positions();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "mercury_reuse_depthwise", [&] {
    const scalar_t* in = x.data_ptr<scalar_t>();
    const scalar_t* w = weight.data_ptr<scalar_t>();
    scalar_t* dst = out.data_ptr<scalar_t>();
    const int64_t* src_all = sources.data_ptr<int64_t>();
    at::parallel_for(0, g.groups, 1, [&](int64_t begin, int64_t end) {
      for (int64_t grp = begin; grp < end; ++grp) {
        const int64_t* src = src_all + grp * positions;
        for (int64_t v = 0; v < positions; ++v) {
          const int64_t n = v / per_image, l = v % per_image;
          const int64_t s = src[v];
          if (s != v) {
            const int64_t sn = s / per_image, sl = s % per_image;
            for (int64_t m = 0; m < per_group; ++m) {
              const int64_t oc = grp * per_group + m;
              dst[(n * g.out_channels + oc) * per_image + l] = dst[(sn * g.out_channels + oc) * per_image + sl];
            }
            continue;
          }
          const int64_t oh = l / g.out_w, ow = l % g.out_w;
          const scalar_t* plane = in + (n * g.c + grp) * g.h * g.w;
          for (int64_t m = 0; m < per_group; ++m) {
            const int64_t oc = grp * per_group + m;
            const scalar_t* wk = w + oc * taps;
            scalar_t acc = 0;
            for (int64_t i = 0; i < g.kernel_h; ++i) {
              const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
              if (ih < 0 || ih >= g.h) continue;
              for (int64_t j = 0; j < g.kernel_w; ++j) {
                const int64_t iw = ow * g.stride_w - g.pad_w + j * g.dilation_w;
                if (iw < 0 || iw >= g.w) continue;
                acc += plane[ih * g.w + iw] * wk[i * g.kernel_w + j];
              }
            }
            dst[(n * g.out_channels + oc) * per_image + l] = acc;
          }
        }
      }
    });
  });
  return out;
}

}  // namespace

at::Tensor reuse_forward(const Conv2dCall& call, const ConvGeometry& g, const CallLookups& lookups) {
  const at::Tensor& input = call.input;
  const at::Tensor& weight = call.weight;
  const at::Tensor& sources = lookups.sources;
  if (g.positions() == 0) return at::zeros({g.n, g.out_channels, g.out_h, g.out_w}, input.options());
  if (call.options.vector_kind == VectorKind::Patch) {
    at::Tensor out;
    if (lookups.depthwise_reuse) out = reuse_depthwise(input.contiguous(), weight.contiguous(), g, sources);
    else if (compute_densely(lookups.vectors - lookups.hits, lookups.vectors)) out = reuse_patches_dense(input, weight, g, sources);
    else out = reuse_patches(input, weight.contiguous(), g, lookups.assignment);
    if (call.bias.has_value()) out.add_(call.bias->view({1, -1, 1, 1}));
    return out.contiguous(input.suggest_memory_format());
  }
  return reuse_channel_output(call, g, sources);
}

}  // namespace mercury
