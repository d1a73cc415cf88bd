// The training step per layer (mercury-sim --training): forward, input gradient and weight gradient, baseline and
// MERCURY. The forward is the overlay's (overlay.h). Each backward phase is one SCALE-Sim GEMM (M, N, K) (an M x K
// operand times K x N, mapped as topology.h's gemm_layer) on the config's dataflow and memory model; MERCURY runs
// both on the P' = ceil(P (1 - h)) unique missed rows of the forward's reuse map (sim/README.md, "Training step").
#pragma once

#include "access_counts.h"
#include "config.h"
#include "overlay.h"
#include "topology.h"

namespace msim {

// All cycle counts are for the whole layer (every group).
struct TrainingResult {
  long long forward_baseline = 0, forward_mercury = 0;        // the overlay's baseline and MERCURY cycles
  long long input_grad_baseline = 0, input_grad_mercury = 0;  // MERCURY's includes grad_sum_cycles
  long long weight_grad_baseline = 0, weight_grad_mercury = 0;
  long long grad_sum_cycles = 0;  // adding the output gradients of hit rows into their source rows
  // For the energy model (energy.h), whole layer, not summed by +=: each backward GEMM's MACs and accesses (from
  // the same replay as its cycles) and the gradient summation's additions.
  AccessCounts input_grad_baseline_counts, input_grad_mercury_counts;
  AccessCounts weight_grad_baseline_counts, weight_grad_mercury_counts;
  long long grad_sum_additions = 0;
  long long step_baseline() const { return forward_baseline + input_grad_baseline + weight_grad_baseline; }
  long long step_mercury() const { return forward_mercury + input_grad_mercury + weight_grad_mercury; }
  double step_speedup() const { return static_cast<double>(step_baseline()) / static_cast<double>(step_mercury()); }
  TrainingResult& operator+=(const TrainingResult& o);  // every phase summed (totals over layers)
};

// Cycles (compute + stalls) of SCALE-Sim's GEMM (M, N, K) on c's array, dataflow and memory model; 0 when M or K is
// 0 (no rows left, or an empty reduction).
long long gemm_cycles(long long m, long long n, long long k, const Config& c);
// The same GEMM's cycles and its MACs and accesses (one replay for both).
struct GemmRun {
  long long cycles = 0;
  AccessCounts counts;
};
GemmRun gemm_run(long long m, long long n, long long k, const Config& c);

// `forward`: the layer's overlay result. Without a hit log every MERCURY phase is its baseline.
TrainingResult training_layer(const Layer& l, const Config& c, const MercuryResult& forward);

}  // namespace msim
