#include "overlay.h"

#include <cmath>

namespace msim {
namespace {

long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

long long cycles_with_stalls(const Layer& l, long long ofmap_px, long long filters, const Config& c) {
  if (ofmap_px == 0) return 0;
  const ComputeResult compute = compute_mapping(map_layer(ofmap_px, l.window(), filters, c.dataflow), c);
  return compute.cycles + memory_layer(l, compute, c).stall_cycles;
}

}  // namespace

MercuryResult mercury_layer(const Layer& l, const Config& c, const LayerHits* hits) {
  MercuryResult r;
  const long long px = l.ofmap_px();
  r.baseline_cycles = l.groups * cycles_with_stalls(l, px, l.filters, c);
  if (!hits) return r;
  r.has_hitlog = true;
  r.hit_rate = hits->hit_rate();
  // A hit is one output position whose vector is not streamed: in WS a row of the ifmap operand matrix (T
  // shrinks), in OS a row of the array's output tile (Sr shrinks), in IS a column of stationary inputs (Sc
  // shrinks). The same pixel count drives all three through map_layer.
  const long long missed_px = static_cast<long long>(std::ceil(static_cast<double>(px) * (1.0 - r.hit_rate)));
  r.streamed_cycles = l.groups * cycles_with_stalls(l, missed_px, l.filters, c);
  // Signatures: every vector projected on sig_bits directions (px x K x bits MACs).
  const long long bits = hits->sig_bits;
  if (c.mercury.signature_unit_macs == 0) {
    r.signature_cycles = l.groups * compute_mapping(map_layer(px, l.window(), bits, c.dataflow), c).cycles;
  } else {
    r.signature_cycles = l.groups * ceil_div(px * l.window() * bits, c.mercury.signature_unit_macs);
  }
  r.lookup_cycles = l.groups * static_cast<long long>(std::ceil(static_cast<double>(px) * c.mercury.lookup_cycles_per_vector));
  if (c.mercury.reuse_reads_results) {
    r.result_read_cycles = l.groups * ceil_div((px - missed_px) * l.filters, c.array_width);
  }
  return r;
}

}  // namespace msim
