#include "ops/cpu/call_lookups.h"

#include "ops/cpu/signature.h"
#include "ops/cpu/weight_subspace.h"
#include "ops/cpu/window_signatures.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace mercury {
namespace {

// What a call's lookups must give back, and how each unit's stream is served through a FastCache.
class StreamServer {
 public:
  // sources_only: reuse needs each vector's source and nothing else (run_stream_sources); otherwise reuse fills in
  // each unit's CacheAssignment and the sources follow from it.
  // pin: the reuse map goes to a device (pinned memory: its copy there need not wait).
  StreamServer(const Options& o, const ConvGeometry& g, bool pin, bool sources_only, CallLookups& lookups)
      : o_(o), u_(unit_layout(g, o_.vector_kind)), positions_(g.positions()), sources_only_(sources_only),
        lookups_(lookups), unit_hits_(static_cast<size_t>(u_.units), 0) {
    const bool reuse = o_.mode == Mode::Reuse;
    lookups.vectors = u_.units * positions_;
    if (reuse && !sources_only) lookups.assignment.resize(static_cast<size_t>(u_.units));
    if (reuse) lookups.sources = at::empty({u_.units, positions_}, at::TensorOptions(at::kLong).pinned_memory(pin));
    if (o_.record_hitmap) lookups.hitmap.assign(static_cast<size_t>(u_.units * positions_), 0);
  }

  const UnitLayout& units() const { return u_; }
  // Sign signatures have sig_bits bits; e2lsh ones are 64-bit hashes.
  FastCache cache() const {
    return FastCache(o_.cache_entries, o_.cache_ways, o_.signature == SignatureScheme::Sign ? o_.sig_bits : 64);
  }

  // Serves `unit`'s stream (its signatures in lookup order) through a fresh MCACHE.
  void serve(FastCache& cache, int64_t unit, const uint64_t* sigs) {
    cache.reset();
    if (sources_only_) {
      unit_hits_[unit] =
          run_stream_sources(cache, sigs, positions_, lookups_.sources.data_ptr<int64_t>() + unit * positions_);
      return;
    }
    unit_hits_[unit] = run_stream(cache, sigs, positions_,
                                  o_.record_hitmap ? lookups_.hitmap.data() + unit * positions_ : nullptr,
                                  o_.mode == Mode::Reuse ? &lookups_.assignment[unit] : nullptr);
  }

  // Every unit's stream from one table, sigs[unit * positions + v]; one FastCache per thread.
  void serve_table(const uint64_t* sigs) {
    at::parallel_for(0, u_.units, 1, [&](int64_t begin, int64_t end) {
      FastCache c = cache();
      for (int64_t unit = begin; unit < end; ++unit) serve(c, unit, sigs + unit * positions_);
    });
  }

  // The hits, and reuse's map from each unit's cache assignment: every vector's source is the miss whose slot it
  // took.
  void finish() {
    for (int64_t h : unit_hits_) lookups_.hits += h;
    if (o_.mode != Mode::Reuse || sources_only_) return;
    int64_t* src = lookups_.sources.data_ptr<int64_t>();
    at::parallel_for(0, u_.units, 1, [&](int64_t begin, int64_t end) {
      for (int64_t unit = begin; unit < end; ++unit) {
        const CacheAssignment& a = lookups_.assignment[unit];
        for (int64_t v = 0; v < positions_; ++v) src[unit * positions_ + v] = a.miss_vectors[a.slot[v]];
      }
    });
  }

 private:
  const Options& o_;
  const UnitLayout u_;
  const int64_t positions_;
  const bool sources_only_;
  CallLookups& lookups_;
  std::vector<int64_t> unit_hits_;
};

// The signatures of every unit's vectors, sig[unit * positions + v], from projections computed as one convolution
// (the sign scheme a few images at a time: sign_chunk_images).
std::vector<uint64_t> projected_signatures(const at::Tensor& input, const at::Tensor& projection,
                                           const ConvGeometry& g, const Options& o,
                                           const std::vector<double>& offsets, const UnitLayout& u) {
  std::vector<uint64_t> sig(static_cast<size_t>(u.units * g.positions()));
  if (o.signature != SignatureScheme::Sign) {
    pack_signatures(project(input, projection, g, o.vector_kind), u.units, o.sig_bits, o, offsets, sig.data());
    return sig;
  }
  const int64_t chunk = sign_chunk_images(g, u.units, o.sig_bits, input);
  for (int64_t i = 0; i < g.n; i += chunk) {
    const int64_t count = std::min(chunk, g.n - i);
    ConvGeometry part = g;
    part.n = count;
    pack_sign_images(project(input.narrow(0, i, count), projection, part, o.vector_kind), u.units, o.sig_bits, i,
                     g.positions(), sig.data());
  }
  return sig;
}

// Signatures computed on the host and each unit's stream served as they come.
void serve_units(const Conv2dCall& call, const ConvGeometry& g, StreamServer& server) {
  const Options& o = call.options;
  const at::Tensor& input = call.input;
  const UnitLayout& u = server.units();
  const bool svd = o.signature == SignatureScheme::Svd;
  const at::Tensor projection = svd ? tracked_weight_directions(call.weight, g.groups, o.vector_kind, o.sig_bits)
                                    : projection_matrix(o.seed, o.layer_id, u.width, o.sig_bits, input.scalar_type());
  const std::vector<double> offsets = o.signature != SignatureScheme::Sign
                                          ? bucket_offsets(o.seed, o.layer_id, u.width, o.sig_bits)
                                          : std::vector<double>{};
  if (!svd && u.width == g.kernel_h * g.kernel_w && window_signatures_supported(input.scalar_type())) {
    // One channel's window per vector (depthwise patches, or channel vectors): signatures straight from the
    // input, each channel's stream served while its signatures are hot.
    const at::Tensor x = input.contiguous();
    const at::Tensor projection_t = projection.t().contiguous();  // [bits, kh*kw]
    at::parallel_for(0, u.units, 1, [&](int64_t begin, int64_t end) {
      FastCache cache = server.cache();
      std::vector<uint64_t> sigs(static_cast<size_t>(g.positions()));
      std::vector<double> scratch;
      for (int64_t unit = begin; unit < end; ++unit) {
        window_signatures(x, projection_t, g, o, offsets, unit, sigs.data(), scratch);
        server.serve(cache, unit, sigs.data());
      }
    });
  } else {
    server.serve_table(projected_signatures(input, projection, g, o, offsets, u).data());
  }
}

}  // namespace

CallLookups look_up_call(const Conv2dCall& call, const ConvGeometry& g) {
  const Options& o = call.options;
  const bool reuse = o.mode == Mode::Reuse;
  CallLookups lookups;
  // Reuse with per-channel windows (depthwise patches, channel vectors) needs only each vector's source; patch
  // reuse of wider groups needs the misses of each group and the slot each position takes.
  lookups.depthwise_reuse = reuse && o.vector_kind == VectorKind::Patch && g.c == g.groups &&
                            (call.input.scalar_type() == at::kFloat || call.input.scalar_type() == at::kDouble);
  const bool sources_only =
      reuse && !o.record_hitmap && (o.vector_kind == VectorKind::Channel || lookups.depthwise_reuse);
  StreamServer server(o, g, /*pin=*/false, sources_only, lookups);
  if (g.positions() > 0) serve_units(call, g, server);
  server.finish();
  return lookups;
}

CallLookups serve_signatures(const Options& o, const ConvGeometry& g, bool pin_sources, const uint64_t* sigs) {
  CallLookups lookups;
  // A hit map needs run_stream, whose assignment then gives the sources.
  const bool sources_only = o.mode == Mode::Reuse && !o.record_hitmap;
  StreamServer server(o, g, pin_sources, sources_only, lookups);
  if (g.positions() > 0) server.serve_table(sigs);
  server.finish();
  lookups.assignment.clear();
  return lookups;
}

}  // namespace mercury
