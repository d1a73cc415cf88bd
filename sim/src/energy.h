// The energy model (sim/README.md, "Energy"): the access counts the simulation already has (access_counts.h: the
// same demand matrices and replay as DETAILED_ACCESS_REPORT.csv) priced with the energy table (energy_table.h),
// baseline and MERCURY side by side, per layer and, with --training, per GEMM of the step.
#pragma once

#include "energy_table.h"
#include "mcache_storage.h"
#include "simulate.h"

#include <map>
#include <vector>

namespace msim {

struct BufferCost {
  double read = 0, write = 0;  // pJ per word
};

struct McacheCost {
  McacheGeometry geometry;
  double lookup = 0, result_read = 0, fill = 0;  // pJ per vector probed, per hit, per miss
};

// Everything priced once, before the simulation: every refusal (ParseError, file:line) happens here.
struct EnergyModel {
  double mac = 0;                  // an array MAC and its 3 register accesses (two operands in, the partial sum)
  double signature_mac_array = 0;  // a signature MAC on the array (with its 3 register accesses)
  double signature_mac_unit = 0;   // a signature MAC on a separate unit (SignatureUnitMacs > 0)
  double add = 0, dram_word = 0;
  BufferCost ifmap, filter, ofmap;
  // One metadata word of a sparse filter read from the filter SRAM: an index (csr, csc) is a word; ellpack_block's
  // metadata is counted in 32-bit words (compression.py), i.e. 32 / word_bits filter reads.
  double metadata_word = 0;
  std::vector<McacheCost> mcache;  // per layer; a zero geometry where the layer has no hit log
};

// Reads the entries the run needs and sizes every SRAM it prices (the three buffers, each hit-logged layer's
// MCACHE). hitlogs: null without -m. Throws ParseError naming the table's file:line.
EnergyModel prepare_energy(const EnergyTable& t, const Config& c, const std::vector<Layer>& layers,
                           const std::map<long long, LayerHits>* hitlogs);

struct EnergyParts {  // pJ
  double compute = 0, ifmap = 0, filter = 0, ofmap = 0, dram = 0;  // MACs; each buffer's SRAM traffic; DRAM
  double metadata = 0;  // a sparse filter's metadata read from the filter SRAM (sparsity.h; once per layer)
  double signature = 0, lookup = 0, fill = 0;                       // MERCURY's own structures
  double own() const { return signature + lookup + fill; }
  double total() const { return compute + ifmap + filter + ofmap + dram + metadata + own(); }
  EnergyParts& operator+=(const EnergyParts& o);
};

struct LayerEnergy {
  EnergyParts baseline, mercury;  // the forward (inference) layer
  double mcache_bytes = 0;        // 0 without a hit log; in totals: the largest layer's
  // --training: each backward GEMM's compute + SRAM + DRAM energy, and the gradient summation's additions.
  double input_grad_baseline = 0, input_grad_mercury = 0, weight_grad_baseline = 0, weight_grad_mercury = 0;
  double grad_sum = 0;
  double step_baseline() const { return baseline.total() + input_grad_baseline + weight_grad_baseline; }
  double step_mercury() const { return mercury.total() + input_grad_mercury + grad_sum + weight_grad_mercury; }
  LayerEnergy& operator+=(const LayerEnergy& o);  // sums; mcache_bytes: the largest
};

// Layer i of a simulation (results[i]) priced with m (prepared for the same layers and config).
LayerEnergy energy_layer(const LayerResult& r, size_t i, const EnergyModel& m, const Config& c);
std::vector<LayerEnergy> energy_layers(const std::vector<LayerResult>& results, const EnergyModel& m, const Config& c);

}  // namespace msim
