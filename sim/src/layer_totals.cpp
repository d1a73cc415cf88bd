#include "layer_totals.h"

namespace msim {

LayerTotals sum_layers(const std::vector<LayerResult>& results) {
  LayerTotals t;
  for (const LayerResult& r : results) {
    ++t.layers;
    t.with_hitlog += r.mercury.has_hitlog;
    t.vectors += r.hits.vectors;
    t.hits += r.hits.hits;
    t.baseline_cycles += r.mercury.baseline_cycles;
    t.mercury_cycles += r.mercury.mercury_cycles();
    if (!r.mercury.accelerated) t.untouched_cycles += r.mercury.baseline_cycles;
    t.overhead_cycles += r.mercury.overhead_cycles();
    t.training += r.training;
  }
  return t;
}

}  // namespace msim
