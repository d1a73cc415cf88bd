// One simulation of a topology, layer by layer: config -> compute (compute.h) -> memory (memory.h) -> the MERCURY
// overlay (overlay.h) -> the training step (training.h). The reports (report.h) only write what this returns.
#pragma once

#include "compute.h"
#include "hitlog.h"
#include "memory.h"
#include "overlay.h"
#include "training.h"

#include <map>
#include <vector>

namespace msim {

struct LayerResult {
  Layer layer;
  ComputeResult compute;  // one group; totals multiply by layer.groups
  MemoryResult memory;
  MercuryResult mercury;
  TrainingResult training;  // filled with c.training (mercury-sim --training)
  LayerHits hits;
};

// hitlogs: null when no hit log directory was given (then no MERCURY columns are filled). With c.training each
// layer's training step is modeled too (training.h).
std::vector<LayerResult> simulate(const std::vector<Layer>& layers, const Config& c,
                                  const std::map<long long, LayerHits>* hitlogs);

}  // namespace msim
