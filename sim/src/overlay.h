// The MERCURY overlay: a layer's cycles when the work of hit vectors is not streamed, plus the cost of computing
// signatures and looking them up. Hit fraction h = hits / vectors summed over every call in the layer's hit log.
#pragma once

#include "compute.h"
#include "hitlog.h"
#include "memory.h"

namespace msim {

struct MercuryResult {
  bool has_hitlog = false;
  bool accelerated = true;           // false for a matmul of two activations: MERCURY cannot touch it
  double hit_rate = 0;
  long long baseline_cycles = 0;     // compute + stalls, as the baseline report
  long long streamed_cycles = 0;     // the layer with only missed vectors streamed (compute + stalls)
  long long signature_cycles = 0, lookup_cycles = 0, result_read_cycles = 0;
  long long overhead_cycles() const { return signature_cycles + lookup_cycles + result_read_cycles; }
  long long mercury_cycles() const { return has_hitlog ? streamed_cycles + overhead_cycles() : baseline_cycles; }
  double speedup() const { return static_cast<double>(baseline_cycles) / static_cast<double>(mercury_cycles()); }
};

// P' = ceil(P (1 - h)): the rows of P whose vectors missed (hit_rate in [0, 1]).
long long missed_rows(long long px, double hit_rate);

// One group's vectors and what the overlay does with them (every count mercury_layer and the energy model use).
struct OverlayCounts {
  long long vectors = 0;      // patch: P (one per output position); channel: P x C (one Fh x Fw window per channel)
  long long vector_len = 0;   // K = Fh Fw C, or Fh Fw for channel windows
  long long missed_px = 0;    // P' = ceil(P (1 - h)): the rows still streamed
  long long hit_vectors = 0;  // vectors whose cached results are reused
};
OverlayCounts overlay_counts(const Layer& l, const LayerHits& hits);

// `hits` null: no hit log for this layer; the result is the baseline, flagged.
// baseline_stalls: the layer's stall cycles per group from the memory model (< 0: computed here).
MercuryResult mercury_layer(const Layer& l, const Config& c, const LayerHits* hits, long long baseline_stalls = -1);

}  // namespace msim
