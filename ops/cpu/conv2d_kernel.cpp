// CPU kernels of mercury::conv2d: signatures of the streamed vectors, MCACHE lookups, and either the exact
// convolution (observe) or MERCURY's approximate one (reuse: only the missed vectors are multiplied).
#include "ops/conv2d_boxed.h"
#include "ops/conv2d_options.h"
#include "ops/cpu/mcache.h"
#include "ops/cpu/patches.h"
#include "ops/cpu/signature.h"
#include "ops/cpu/weight_subspace.h"
#include "ops/cpu/window_signatures.h"
#include "csrc/hitlog/hitlog.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

namespace mercury {
namespace {

struct UnitLayout {
  int64_t units;  // independent vector streams, each with its own MCACHE
  int64_t width;  // vector length
};

UnitLayout unit_layout(const ConvGeometry& g, VectorKind vector) {
  const int64_t window = g.kernel_h * g.kernel_w;
  if (vector == VectorKind::Patch) return {g.groups, (g.c / g.groups) * window};
  return {g.c, window};
}

at::Tensor unfold(const at::Tensor& x, const ConvGeometry& g) {  // [N, C*kh*kw, L]
  return at::im2col(x, {g.kernel_h, g.kernel_w}, {g.dilation_h, g.dilation_w}, {g.pad_h, g.pad_w},
                    {g.stride_h, g.stride_w});
}

// [N, C*kh*kw, L] -> [N*L, C*kh*kw]: one row per output position, in lookup order.
at::Tensor as_rows(const at::Tensor& cols) {
  return cols.transpose(1, 2).reshape({-1, cols.size(1)});
}

// rows of `out_rows` ([N*L, C_out]) -> [N, C_out, H_out, W_out] in the input's memory format.
at::Tensor rows_to_output(const at::Tensor& out_rows, const ConvGeometry& g, const at::Tensor& input) {
  at::Tensor out = out_rows.view({g.n, g.out_h, g.out_w, g.out_channels}).permute({0, 3, 1, 2});
  if (input.suggest_memory_format() == at::MemoryFormat::ChannelsLast) return out;
  return out.contiguous();
}

void log_call(const ConvGeometry& g, const Options& o, int64_t vectors, int64_t hits,
              std::vector<uint8_t> hitmap) {
  hitlog::Record r;
  r.layer_id = o.layer_id;
  r.n = g.n; r.c = g.c; r.h = g.h; r.w = g.w;
  r.out_channels = g.out_channels; r.kernel_h = g.kernel_h; r.kernel_w = g.kernel_w;
  r.out_h = g.out_h; r.out_w = g.out_w; r.groups = g.groups;
  r.stride_h = g.stride_h; r.stride_w = g.stride_w; r.pad_h = g.pad_h; r.pad_w = g.pad_w;
  r.dilation_h = g.dilation_h; r.dilation_w = g.dilation_w;
  r.vectors = vectors;
  r.sig_bits = o.sig_bits;
  r.hits = hits;
  r.misses = vectors - hits;
  r.mode = mode_name(o.mode);
  r.vector = vector_name(o.vector);
  r.signature = signature_name(o.signature);
  r.hitmap = std::move(hitmap);
  hitlog::HitLog::instance().append(std::move(r));
}

// Projections of every streamed vector, computed as one convolution: filter b of unit u is direction b laid out
// like that unit's weights, so output channel u * bits + b at (n, oh, ow) is <vector(u, n, oh, ow), r_b>.
// Returns [N, units * bits, L].
// `projection` is [k, bits] (one for every unit) or [units, k, bits] (svd: one per unit).
at::Tensor project(const at::Tensor& x, const at::Tensor& projection, const ConvGeometry& g, VectorKind vector) {
  const int64_t bits = projection.size(-1);
  const bool patch = vector == VectorKind::Patch;
  const int64_t units = patch ? g.groups : g.c;
  const int64_t in_per_filter = patch ? g.c / g.groups : 1;
  at::Tensor filters;
  if (projection.dim() == 3) {
    filters = projection.transpose(1, 2).contiguous().view({units * bits, in_per_filter, g.kernel_h, g.kernel_w});
  } else {
    filters = projection.t().contiguous().view({bits, in_per_filter, g.kernel_h, g.kernel_w});
    if (units > 1) filters = filters.repeat({units, 1, 1, 1});
  }
  const at::Tensor p = at::conv2d(x, filters, {}, {g.stride_h, g.stride_w}, {g.pad_h, g.pad_w},
                                  {g.dilation_h, g.dilation_w}, units);
  return p.reshape({g.n, units * bits, g.out_h * g.out_w});
}

at::Tensor as_long_tensor(const std::vector<int64_t>& values) {
  return at::from_blob(const_cast<int64_t*>(values.data()), {static_cast<int64_t>(values.size())}, at::kLong);
}

// Above this fraction of missed patch vectors the CPU computes a call densely (torch's own convolution kernels)
// and applies the reuse map afterwards: a GEMM over gathered misses runs at about 60% of the throughput of
// torch's convolution here (benchmarks/bench_conv2d.py), so below about half the work it no longer pays. Both
// ways give the same output and gradients (up to float summation order); only the CPU time differs.
constexpr double kDenseMissFraction = 0.5;

bool compute_densely(int64_t misses, int64_t vectors) {
  return static_cast<double>(misses) > kDenseMissFraction * static_cast<double>(vectors);
}

// Backward has only the reuse map: a miss is its own source.
int64_t count_misses(const at::Tensor& sources) {
  return (sources == at::arange(sources.size(1), sources.options()).unsqueeze(0)).sum().item<int64_t>();
}

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

// Channel vectors: reusing a window's partial sums equals multiplying with the reused window in its place.
at::Tensor reuse_channel_windows(const at::Tensor& x, const at::Tensor& weight, const ConvGeometry& g,
                                 const at::Tensor& sources) {
  const int64_t window = g.kernel_h * g.kernel_w;
  const at::Tensor rows = as_rows(unfold(x, g));
  at::Tensor reused = at::empty_like(rows);
  for (int64_t ch = 0; ch < g.c; ++ch) {
    reused.narrow(1, ch * window, window).copy_(rows.narrow(1, ch * window, window).index_select(0, sources[ch]));
  }
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

std::tuple<at::Tensor, at::Tensor> conv2d_forward_cpu(const Conv2dCall& call) {
  const Options& o = call.options;
  const ConvGeometry g = check_conv2d(call);
  const at::Tensor& input = call.input;
  const at::Tensor& weight = call.weight;
  const std::optional<at::Tensor>& bias = call.bias;
  const auto& [stride, padding, dilation] = std::tie(call.stride, call.padding, call.dilation);
  const int64_t groups = call.groups;
  const at::Tensor no_sources = at::empty({0}, input.options().dtype(at::kLong));
  if (o.mode == Mode::Off) {
    return {at::conv2d(input, weight, bias, stride, padding, dilation, groups), no_sources};
  }

  const UnitLayout u = unit_layout(g, o.vector);
  const int64_t positions = g.positions();
  const bool reuse = o.mode == Mode::Reuse;
  // Reuse with per-channel windows (depthwise patches, channel vectors) needs only each vector's source; patch
  // reuse of wider groups needs the misses of each group and the slot each position takes.
  const bool depthwise_reuse = o.vector == VectorKind::Patch && g.c == g.groups &&
                               (input.scalar_type() == at::kFloat || input.scalar_type() == at::kDouble);
  const bool sources_only = reuse && !o.record_hitmap && (o.vector == VectorKind::Channel || depthwise_reuse);
  std::vector<CacheAssignment> assignment(reuse && !sources_only ? static_cast<size_t>(u.units) : 0);
  // Reuse. sources[unit][v]: the vector whose result v takes (v itself on a miss); backward needs it.
  at::Tensor sources = reuse ? at::empty({u.units, positions}, input.options().dtype(at::kLong)) : at::Tensor();
  std::vector<int64_t> unit_hits(static_cast<size_t>(u.units), 0);
  std::vector<uint8_t> hitmap;
  if (o.record_hitmap) hitmap.assign(static_cast<size_t>(u.units * positions), 0);
  if (positions > 0) {
    const bool svd = o.signature == SignatureScheme::Svd;
    const at::Tensor projection = svd ? tracked_weight_directions(weight, g.groups, o.vector, o.sig_bits)
                                      : projection_matrix(o.seed, o.layer_id, u.width, o.sig_bits, input.scalar_type());
    const std::vector<double> offsets = o.signature != SignatureScheme::Sign
                                            ? bucket_offsets(o.seed, o.layer_id, u.width, o.sig_bits)
                                            : std::vector<double>{};
    // Sign signatures have sig_bits bits; e2lsh ones are 64-bit hashes.
    const int64_t sig_width = o.signature == SignatureScheme::Sign ? o.sig_bits : 64;
    // Serves unit's stream (its signatures in lookup order) through a fresh MCACHE.
    auto serve = [&](FastCache& cache, int64_t unit, const uint64_t* sigs) {
      cache.reset();
      if (sources_only) {
        unit_hits[unit] = run_stream_sources(cache, sigs, positions, sources.data_ptr<int64_t>() + unit * positions);
        return;
      }
      unit_hits[unit] = run_stream(cache, sigs, positions,
                                   o.record_hitmap ? hitmap.data() + unit * positions : nullptr,
                                   reuse ? &assignment[unit] : nullptr);
    };
    if (!svd && u.width == g.kernel_h * g.kernel_w && window_signatures_supported(input.scalar_type())) {
      // One channel's window per vector (depthwise patches, or channel vectors): signatures straight from the
      // input, each channel's stream served while its signatures are hot.
      const at::Tensor x = input.contiguous();
      const at::Tensor projection_t = projection.t().contiguous();  // [bits, kh*kw]
      at::parallel_for(0, u.units, 1, [&](int64_t begin, int64_t end) {
        FastCache cache(o.cache_entries, o.cache_ways, sig_width);
        std::vector<uint64_t> sigs(static_cast<size_t>(positions));
        std::vector<double> scratch;
        for (int64_t unit = begin; unit < end; ++unit) {
          window_signatures(x, projection_t, g, o, offsets, unit, sigs.data(), scratch);
          serve(cache, unit, sigs.data());
        }
      });
    } else {
      std::vector<std::vector<uint64_t>> sig;
      if (o.signature == SignatureScheme::Sign) {
        // A few images at a time: the projections of a chunk stay small (about 1 MB), so their buffer is reused
        // by the allocator instead of being mapped and faulted in afresh on every call.
        const int64_t per_image = u.units * o.sig_bits * g.out_h * g.out_w * input.element_size();
        const int64_t chunk = std::max<int64_t>(1, (int64_t(1) << 20) / std::max<int64_t>(1, per_image));
        sig.resize(static_cast<size_t>(u.units));
        for (auto& s : sig) s.resize(static_cast<size_t>(positions));
        for (int64_t i = 0; i < g.n; i += chunk) {
          const int64_t count = std::min(chunk, g.n - i);
          ConvGeometry part = g;
          part.n = count;
          pack_sign_images(project(input.narrow(0, i, count), projection, part, o.vector), u.units, o.sig_bits,
                           i, sig);
        }
      } else {
        sig = pack_signatures(project(input, projection, g, o.vector), u.units, o.sig_bits, o, offsets);
      }
      at::parallel_for(0, u.units, 1, [&](int64_t begin, int64_t end) {
        FastCache cache(o.cache_entries, o.cache_ways, sig_width);
        for (int64_t unit = begin; unit < end; ++unit) serve(cache, unit, sig[unit].data());
      });
    }
  }

  int64_t hits = 0;
  for (int64_t h : unit_hits) hits += h;
  log_call(g, o, u.units * positions, hits, std::move(hitmap));

  if (o.mode == Mode::Observe) {
    return {at::conv2d(input, weight, bias, stride, padding, dilation, groups), no_sources};
  }

  int64_t* src = sources.data_ptr<int64_t>();
  if (!sources_only) at::parallel_for(0, u.units, 1, [&](int64_t begin, int64_t end) {
    for (int64_t unit = begin; unit < end; ++unit) {
      const CacheAssignment& a = assignment[unit];
      for (int64_t v = 0; v < positions; ++v) src[unit * positions + v] = a.miss_vectors[a.slot[v]];
    }
  });
  if (positions == 0) {
    return {at::zeros({g.n, g.out_channels, g.out_h, g.out_w}, input.options()), sources};
  }
  const bool has_bias = bias.has_value() && bias->defined();
  if (o.vector == VectorKind::Patch) {
    const int64_t vectors = u.units * positions;
    at::Tensor out;
    if (depthwise_reuse) out = reuse_depthwise(input.contiguous(), weight.contiguous(), g, sources);
    else if (compute_densely(vectors - hits, vectors)) out = reuse_patches_dense(input, weight, g, sources);
    else out = reuse_patches(input, weight.contiguous(), g, assignment);
    if (has_bias) out.add_(bias->view({1, -1, 1, 1}));
    return {out.contiguous(input.suggest_memory_format()), sources};
  }
  at::Tensor out_rows = reuse_channel_windows(input.contiguous(), weight, g, sources);
  if (has_bias) out_rows.add_(*bias);
  return {rows_to_output(out_rows, g, input), sources};
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

// Gradient of the forward that ran. In reuse mode that is the gradient of the approximate output: a position
// that reused vector s's result passes its gradient to s's inputs, and the weight gradient sees s's data.
std::tuple<at::Tensor, at::Tensor, at::Tensor> conv2d_backward_cpu(const at::Tensor& grad_output,
                                                                   const at::Tensor& sources, const Conv2dCall& call) {
  const ConvGeometry g = check_conv2d(call);
  const at::Tensor& input = call.input;
  const at::Tensor& weight = call.weight;
  const bool bias_defined = call.bias.has_value();
  // No bias: an empty grad_bias (the schema returns a Tensor); the autograd kernel passes none on.
  const at::Tensor no_bias = at::empty({0}, weight.options());
  if (call.options.mode != Mode::Reuse) {
    std::vector<int64_t> bias_sizes{g.out_channels};
    auto grads = at::convolution_backward(grad_output, input, weight,
                                          bias_defined ? at::OptionalIntArrayRef(bias_sizes) : at::OptionalIntArrayRef(),
                                          call.stride, call.padding, call.dilation, false, {0, 0}, call.groups,
                                          {true, true, bias_defined});
    return {std::get<0>(grads), std::get<1>(grads), bias_defined ? std::get<2>(grads) : no_bias};
  }
  const VectorKind vector = call.options.vector;
  const UnitLayout u = unit_layout(g, vector);
  const int64_t positions = g.positions();
  TORCH_CHECK(sources.dim() == 2 && sources.size(0) == u.units && sources.size(1) == positions,
              "mercury::_conv2d_backward: sources must have shape [", u.units, ", ", positions, "], got ",
              sources.sizes());
  at::Tensor grad_bias = bias_defined ? grad_output.sum({0, 2, 3}) : no_bias;
  if (positions == 0) return {at::zeros_like(input), at::zeros_like(weight), grad_bias};
  if (vector == VectorKind::Patch) {
    auto grads = compute_densely(count_misses(sources), sources.numel())
                     ? reuse_patches_backward_dense(grad_output, input, weight, sources, g)
                     : reuse_patches_backward(grad_output, input, weight, sources, g);
    return {std::get<0>(grads), std::get<1>(grads), grad_bias};
  }
  // Channel vectors: the gather of reused windows, transposed, through im2col/col2im.

  const at::Tensor rows = as_rows(unfold(input.contiguous(), g));  // [P, C*kh*kw]
  at::Tensor reused = at::empty_like(rows);
  for (int64_t unit = 0; unit < u.units; ++unit) {
    reused.narrow(1, unit * u.width, u.width).copy_(rows.narrow(1, unit * u.width, u.width).index_select(0, sources[unit]));
  }
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
  return {grad_input, grad_w_rows.view(weight.sizes()), grad_bias};
}

}  // namespace

TORCH_LIBRARY_IMPL(mercury, CPU, m) {
  m.impl("conv2d", torch::CppFunction::makeFromBoxedFunction<&boxed_conv2d<&conv2d_forward_cpu>>());
  m.impl("_conv2d_forward", torch::CppFunction::makeFromBoxedFunction<&boxed_conv2d_forward<&conv2d_forward_cpu>>());
  m.impl("_conv2d_backward",
         torch::CppFunction::makeFromBoxedFunction<&boxed_conv2d_backward<&conv2d_backward_cpu>>());
}

}  // namespace mercury
