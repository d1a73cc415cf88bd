#include "ops/cpu/call_lookups.h"

#include "ops/cpu/reuse_support.h"
#include "ops/cpu/signature.h"
#include "ops/cpu/weight_subspace.h"
#include "ops/cpu/window_signatures.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace mercury {
namespace {

// The signatures of every unit's vectors, [units][positions], from projections computed as one convolution.
std::vector<std::vector<uint64_t>> projected_signatures(const at::Tensor& input, const at::Tensor& projection,
                                                        const ConvGeometry& g, const Options& o,
                                                        const std::vector<double>& offsets, const UnitLayout& u) {
  if (o.signature != SignatureScheme::Sign) {
    return pack_signatures(project(input, projection, g, o.vector_kind), u.units, o.sig_bits, o, offsets);
  }
  // A few images at a time: the projections of a chunk stay small (about 1 MB), so their buffer is reused by the
  // allocator instead of being mapped and faulted in afresh on every call.
  const int64_t per_image = u.units * o.sig_bits * g.out_h * g.out_w * input.element_size();
  const int64_t chunk = std::max<int64_t>(1, (int64_t(1) << 20) / std::max<int64_t>(1, per_image));
  std::vector<std::vector<uint64_t>> sig(static_cast<size_t>(u.units), std::vector<uint64_t>(g.positions()));
  for (int64_t i = 0; i < g.n; i += chunk) {
    const int64_t count = std::min(chunk, g.n - i);
    ConvGeometry part = g;
    part.n = count;
    pack_sign_images(project(input.narrow(0, i, count), projection, part, o.vector_kind), u.units, o.sig_bits, i,
                     sig);
  }
  return sig;
}

// Reuse's map from each unit's cache assignment: every vector's source is the miss whose slot it took.
void sources_from_assignment(CallLookups& lookups, int64_t units, int64_t positions) {
  int64_t* src = lookups.sources.data_ptr<int64_t>();
  at::parallel_for(0, units, 1, [&](int64_t begin, int64_t end) {
    for (int64_t unit = begin; unit < end; ++unit) {
      const CacheAssignment& a = lookups.assignment[unit];
      for (int64_t v = 0; v < positions; ++v) src[unit * positions + v] = a.miss_vectors[a.slot[v]];
    }
  });
}

// Serves every unit's stream through a fresh MCACHE, filling in the hits per unit and what `lookups` keeps.
void serve_units(const Conv2dCall& call, const ConvGeometry& g, const UnitLayout& u, bool sources_only,
                 CallLookups& lookups, std::vector<int64_t>& unit_hits) {
  const Options& o = call.options;
  const at::Tensor& input = call.input;
  const int64_t positions = g.positions();
  const bool reuse = o.mode == Mode::Reuse;
  std::vector<CacheAssignment>& assignment = lookups.assignment;
  at::Tensor& sources = lookups.sources;
  std::vector<uint8_t>& hitmap = lookups.hitmap;
  const bool svd = o.signature == SignatureScheme::Svd;
  const at::Tensor projection = svd ? tracked_weight_directions(call.weight, g.groups, o.vector_kind, o.sig_bits)
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
    const std::vector<std::vector<uint64_t>> sig =
        projected_signatures(input, projection, g, o, offsets, u);
    at::parallel_for(0, u.units, 1, [&](int64_t begin, int64_t end) {
      FastCache cache(o.cache_entries, o.cache_ways, sig_width);
      for (int64_t unit = begin; unit < end; ++unit) serve(cache, unit, sig[unit].data());
    });
  }
}

}  // namespace

CallLookups look_up_call(const Conv2dCall& call, const ConvGeometry& g) {
  const Options& o = call.options;
  const at::Tensor& input = call.input;
  const UnitLayout u = unit_layout(g, o.vector_kind);
  const int64_t positions = g.positions();
  const bool reuse = o.mode == Mode::Reuse;
  CallLookups lookups;
  lookups.vectors = u.units * positions;
  // Reuse with per-channel windows (depthwise patches, channel vectors) needs only each vector's source; patch
  // reuse of wider groups needs the misses of each group and the slot each position takes.
  lookups.depthwise_reuse = reuse && o.vector_kind == VectorKind::Patch && g.c == g.groups &&
                            (input.scalar_type() == at::kFloat || input.scalar_type() == at::kDouble);
  const bool sources_only =
      reuse && !o.record_hitmap && (o.vector_kind == VectorKind::Channel || lookups.depthwise_reuse);
  if (reuse && !sources_only) lookups.assignment.resize(static_cast<size_t>(u.units));
  if (reuse) lookups.sources = at::empty({u.units, positions}, input.options().dtype(at::kLong));
  if (o.record_hitmap) lookups.hitmap.assign(static_cast<size_t>(u.units * positions), 0);
  std::vector<int64_t> unit_hits(static_cast<size_t>(u.units), 0);
  if (positions > 0) serve_units(call, g, u, sources_only, lookups, unit_hits);
  for (int64_t h : unit_hits) lookups.hits += h;
  if (reuse && !sources_only) sources_from_assignment(lookups, u.units, positions);
  return lookups;
}

}  // namespace mercury
