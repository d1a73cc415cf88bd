#include "ops/cpu/reuse_backward.h"

#include "ops/cpu/mcache.h"
#include "ops/cpu/patches.h"
#include "ops/cpu/reuse_support.h"

#include <ATen/Dispatch.h>

namespace mercury {
namespace {

// Backward has only the reuse map: a miss is its own source.
int64_t count_misses(const at::Tensor& sources) {
  return (sources == at::arange(sources.size(1), sources.options()).unsqueeze(0)).sum().item<int64_t>();
}

// Misses of one unit recovered from its sources row: a miss is its own source; slot[v] indexes misses.
CacheAssignment assignment_from_sources(const int64_t* src, int64_t positions) {
  CacheAssignment a;
  a.slot.resize(static_cast<size_t>(positions));
  std::vector<int64_t> miss_index(static_cast<size_t>(positions), -1);
  for (int64_t v = 0; v < positions; ++v) {
    if (src[v] == v) {
      miss_index[v] = static_cast<int64_t>(a.miss_vectors.size());
      a.miss_vectors.push_back(v);
    } else {
      ++a.hits;
    }
    a.slot[v] = miss_index[src[v]];  // a source always precedes the vectors that reuse it
  }
  return a;
}

// Reuse backward with patch vectors, touching only missed patches: the output gradients of the positions
// that share a result are summed first, so both products run over the unique misses (MERCURY's reuse in
// the weight-gradient and input-gradient computations).
std::tuple<at::Tensor, at::Tensor> reuse_patches_backward(const at::Tensor& grad_output, const at::Tensor& input,
                                                          const at::Tensor& weight, const at::Tensor& sources,
                                                          const ConvGeometry& g) {
  const at::Tensor x_nhwc = input.permute({0, 2, 3, 1}).contiguous();
  at::Tensor grad_nhwc = at::zeros_like(x_nhwc);
  at::Tensor grad_weight = at::empty_like(weight);
  const at::Tensor grad_rows = grad_output.permute({0, 2, 3, 1}).reshape({g.positions(), g.out_channels});
  const int64_t out_per_group = g.out_channels / g.groups;
  const at::Tensor src = sources.contiguous();
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    const CacheAssignment a = assignment_from_sources(src.data_ptr<int64_t>() + grp * g.positions(), g.positions());
    const at::Tensor w_group = weight.narrow(0, grp * out_per_group, out_per_group);
    const at::Tensor w_rows = w_group.permute({0, 2, 3, 1}).reshape({out_per_group, -1});
    at::Tensor summed = at::zeros({static_cast<int64_t>(a.miss_vectors.size()), out_per_group}, input.options());
    summed.index_add_(0, as_long_tensor(a.slot), grad_rows.narrow(1, grp * out_per_group, out_per_group));
    const at::Tensor grad_w_rows = at::mm(summed.t(), gather_patches(x_nhwc, g, grp, a.miss_vectors));
    grad_weight.narrow(0, grp * out_per_group, out_per_group)
        .copy_(grad_w_rows.view({out_per_group, g.kernel_h, g.kernel_w, g.c / g.groups}).permute({0, 3, 1, 2}));
    scatter_add_patches(grad_nhwc, at::mm(summed, w_rows), g, grp, a.miss_vectors);
  }
  return {grad_nhwc.permute({0, 3, 1, 2}).contiguous(input.suggest_memory_format()), grad_weight};
}

// Dense reuse backward: each hit's output gradient is added to its source's, and torch's convolution backward
// runs on that sparse gradient, i.e. over the misses' patches only, as the GEMMs over gathered misses do.
std::tuple<at::Tensor, at::Tensor> reuse_patches_backward_dense(const at::Tensor& grad_output, const at::Tensor& input,
                                                                const at::Tensor& weight, const at::Tensor& sources,
                                                                const ConvGeometry& g) {
  at::Tensor summed = grad_output.contiguous().clone();
  const int64_t per_image = g.out_h * g.out_w;
  AT_DISPATCH_FLOATING_TYPES(summed.scalar_type(), "mercury_reuse_dense_backward", [&] {
    scalar_t* s = summed.data_ptr<scalar_t>();
    for_each_reuse(sources, g, [&](int64_t oc, int64_t n, int64_t l, int64_t sn, int64_t sl) {
      scalar_t& hit = s[(n * g.out_channels + oc) * per_image + l];
      s[(sn * g.out_channels + oc) * per_image + sl] += hit;
      hit = 0;
    });
  });
  auto grads = at::convolution_backward(summed, input, weight, at::OptionalIntArrayRef(), {g.stride_h, g.stride_w},
                                        {g.pad_h, g.pad_w}, {g.dilation_h, g.dilation_w}, false, {0, 0}, g.groups,
                                        {true, true, false});
  return {std::get<0>(grads), std::get<1>(grads)};
}

}  // namespace

std::tuple<at::Tensor, at::Tensor> reuse_patch_backward(const at::Tensor& grad_output, const at::Tensor& sources,
                                                        const Conv2dCall& call, const ConvGeometry& g) {
  return compute_densely(count_misses(sources), sources.numel())
             ? reuse_patches_backward_dense(grad_output, call.input, call.weight, sources, g)
             : reuse_patches_backward(grad_output, call.input, call.weight, sources, g);
}

}  // namespace mercury
