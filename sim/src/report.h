// One simulation of a topology: per-layer results, SCALE-Sim's three reports, the MERCURY report, a table.
#pragma once

#include "compute.h"
#include "hitlog.h"
#include "memory.h"
#include "overlay.h"
#include "training.h"

#include <map>
#include <ostream>
#include <string>
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

// hitlogs: null when no hit log directory was given (then no MERCURY columns are filled). With c.training the
// MERCURY reports and the table also carry each layer's training step (training.h).
std::vector<LayerResult> simulate(const std::vector<Layer>& layers, const Config& c,
                                  const std::map<long long, LayerHits>* hitlogs);

void write_reports(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, const std::string& dir);
void print_table(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, std::ostream& out);

}  // namespace msim
