// The sums over a run's layers, taken in one pass: every report's total row (MERCURY_TOTAL.csv, the table's TOTAL
// line and its phase line) reads them from here.
#pragma once

#include "simulate.h"

#include <vector>

namespace msim {

struct LayerTotals {
  long long layers = 0, with_hitlog = 0;
  long long vectors = 0, hits = 0;  // of the layers with a hit log (the others have none)
  // The overlay's cycles; layers without a hit log count at baseline in both.
  long long baseline_cycles = 0, mercury_cycles = 0, overhead_cycles = 0;
  long long untouched_cycles = 0;  // baseline cycles of the layers MERCURY cannot touch (matmul records)
  TrainingResult training;  // every phase summed (zero without --training)
  long long without_hitlog() const { return layers - with_hitlog; }
  double hit_rate() const { return vectors ? static_cast<double>(hits) / static_cast<double>(vectors) : 0.0; }
};

LayerTotals sum_layers(const std::vector<LayerResult>& results);

}  // namespace msim
