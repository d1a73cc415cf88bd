#include "overlay.h"

#include "scalesim_constants.h"

#include <cmath>

namespace msim {
namespace {

long long compute_cycles(const Layer& l, long long ofmap_px, long long filters, const Config& c) {
  if (ofmap_px == 0) return 0;
  return compute_mapping(map_layer(ofmap_px, l.mapped_window(), filters, c.dataflow), c).cycles;
}

}  // namespace

OverlayCounts overlay_counts(const Layer& l, const LayerHits& hits) {
  // Vectors of one image (one group): a patch vector per output position (K = Fh Fw C entries), or with
  // vector_kind=channel one Fh x Fw window per output position and input channel.
  // Streamed work. patch: a hit is one output position whose vector is not streamed: in WS a row of the ifmap
  // operand matrix (T shrinks), in OS a row of the array's output tile (Sr shrinks), in IS a column of
  // stationary inputs (Sc shrinks); the same pixel count drives all three through map_layer.
  // channel: a hit removes that channel's Fh Fw entries of one operand row for all filters; the missed windows
  // are taken as packed into whole rows, i.e. the same ceil(P (1 - h)) rows (a lower bound: unpacked, a row
  // can be skipped only when all of its channel windows hit).
  OverlayCounts n;
  const bool channel = hits.vector_kind == "channel";
  const long long px = l.ofmap_px(), taps = l.filter_h * l.filter_w;
  const double h = hits.hit_rate();
  n.vectors = channel ? px * l.channels : px;
  n.vector_len = channel ? taps : l.window();
  n.missed_px = missed_rows(px, h);
  n.hit_vectors = channel ? static_cast<long long>(std::llround(static_cast<double>(n.vectors) * h)) : px - n.missed_px;
  return n;
}

long long missed_rows(long long px, double hit_rate) {
  return static_cast<long long>(std::ceil(static_cast<double>(px) * (1.0 - hit_rate)));
}

MercuryResult mercury_layer(const Layer& l, const Config& c, const LayerHits* hits, long long baseline_stalls) {
  MercuryResult r;
  const long long px = l.ofmap_px();
  if (baseline_stalls < 0) {
    baseline_stalls = memory_layer(l, compute_layer(l, c), c).stall_cycles;
  }
  const long long base_compute = compute_cycles(l, px, l.filters, c);
  r.baseline_cycles = l.groups * (base_compute + baseline_stalls);
  // Stalls (USER interfaces only) scale with the work that is still streamed: the baseline's stalls times the
  // fraction of compute cycles left. h = 0 keeps them exactly.
  auto cycles_with_stalls = [&](long long ofmap_px) {
    const long long cc = compute_cycles(l, ofmap_px, l.filters, c);
    if (baseline_stalls == 0 || base_compute == 0) return cc;
    return cc + static_cast<long long>(std::llround(static_cast<double>(baseline_stalls) * static_cast<double>(cc) /
                                                    static_cast<double>(base_compute)));
  };
  if (!hits) return r;
  r.has_hitlog = true;
  if (hits->op == "matmul") {  // no weight to reuse results of: baseline, and no signatures or lookups
    r.accelerated = false;
    r.streamed_cycles = r.baseline_cycles;
    return r;
  }
  r.hit_rate = hits->hit_rate();
  const OverlayCounts n = overlay_counts(l, *hits);
  r.streamed_cycles = l.groups * cycles_with_stalls(n.missed_px);
  // Signatures: every vector projected on sig_bits directions (px x K x bits MACs either way): on the array, a
  // GEMM of `vectors` rows, the vector length and bits columns; or on a separate unit of N MACs per cycle.
  const long long bits = hits->sig_bits;
  if (c.mercury.signature_unit_macs == 0) {
    r.signature_cycles = l.groups * compute_mapping(map_layer(n.vectors, n.vector_len, bits, c.dataflow), c).cycles;
  } else {
    using u128 = unsigned __int128;  // px K bits can pass 2^63 (px K N <= 2^60 is all the parser guarantees)
    const u128 macs = static_cast<u128>(px) * static_cast<u128>(l.window()) * static_cast<u128>(bits);
    const u128 unit = static_cast<u128>(c.mercury.signature_unit_macs);
    r.signature_cycles = l.groups * static_cast<long long>((macs + unit - 1) / unit);
  }
  r.lookup_cycles =
      l.groups * static_cast<long long>(std::ceil(static_cast<double>(n.vectors) * c.mercury.lookup_cycles_per_vector));
  if (c.mercury.reuse_reads_results) {
    // A hit reads its cached results: the C_out outputs of a patch, or the C_out partial sums of a channel
    // window, at ArrayWidth words per cycle.
    r.result_read_cycles = l.groups * ceil_div(n.hit_vectors * l.filters, c.array_width);
  }
  return r;
}

}  // namespace msim
