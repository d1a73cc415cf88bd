#include "training.h"

#include "compute.h"
#include "memory.h"
#include "scalesim_constants.h"

namespace msim {

GemmRun gemm_run(long long m, long long n, long long k, const Config& c) {
  GemmRun run;
  if (m == 0 || k == 0) return run;
  const Layer g = gemm_layer("gemm", m, n, k);
  const ComputeResult compute = compute_layer(g, c);
  const MemoryResult memory = memory_layer(g, compute, c);
  run.cycles = compute.cycles + memory.stall_cycles;
  run.counts = access_counts(compute, &memory);
  return run;
}

long long gemm_cycles(long long m, long long n, long long k, const Config& c) { return gemm_run(m, n, k, c).cycles; }

TrainingResult& TrainingResult::operator+=(const TrainingResult& o) {
  forward_baseline += o.forward_baseline;
  forward_mercury += o.forward_mercury;
  input_grad_baseline += o.input_grad_baseline;
  input_grad_mercury += o.input_grad_mercury;
  weight_grad_baseline += o.weight_grad_baseline;
  weight_grad_mercury += o.weight_grad_mercury;
  grad_sum_cycles += o.grad_sum_cycles;
  return *this;
}

TrainingResult training_layer(const Layer& l, const Config& c, const MercuryResult& forward) {
  TrainingResult t;
  // Per group: N = Cout / G. On v3's layer-wise N:M array every filter prunes the same window indices (its
  // pattern), so the pruned indices' input-gradient columns are zero and their weights take no gradient: both
  // backward GEMMs have the kept window K' as their K. Row-wise, each filter keeps its own indices: K stays.
  const long long P = l.ofmap_px(), K = l.row_wise_block ? l.window() : l.mapped_window(), N = l.filters,
                  G = l.groups;
  t.forward_baseline = forward.baseline_cycles;
  t.forward_mercury = forward.mercury_cycles();
  // Input gradient: dX rows (P x K) = dY (P x N) W (N x K): GEMM M = P, N = K output columns, reduction N.
  const GemmRun input_grad = gemm_run(P, K, N, c);
  t.input_grad_baseline = G * input_grad.cycles;
  t.input_grad_baseline_counts = input_grad.counts.times(G);
  // Weight gradient: dW (N x K) = dY^T (N x P) X (P x K): GEMM M = N, N = K, reduction P.
  const GemmRun weight_grad = gemm_run(N, K, P, c);
  t.weight_grad_baseline = G * weight_grad.cycles;
  t.weight_grad_baseline_counts = weight_grad.counts.times(G);
  if (!forward.has_hitlog) {
    t.input_grad_mercury = t.input_grad_baseline;
    t.weight_grad_mercury = t.weight_grad_baseline;
    t.input_grad_mercury_counts = t.input_grad_baseline_counts;
    t.weight_grad_mercury_counts = t.weight_grad_baseline_counts;
    return t;
  }
  // The forward's reuse map: P' unique missed rows; each hit row's N output gradients are first added into its
  // source row (ArrayWidth additions per cycle, once per step), then both GEMMs run on P' rows.
  const long long rows = missed_rows(P, forward.hit_rate);
  t.grad_sum_additions = G * (P - rows) * N;
  t.grad_sum_cycles = G * ceil_div((P - rows) * N, c.array_width);
  const GemmRun input_grad_m = gemm_run(rows, K, N, c), weight_grad_m = gemm_run(N, K, rows, c);
  t.input_grad_mercury = G * input_grad_m.cycles + t.grad_sum_cycles;
  t.weight_grad_mercury = G * weight_grad_m.cycles;
  t.input_grad_mercury_counts = input_grad_m.counts.times(G);
  t.weight_grad_mercury_counts = weight_grad_m.counts.times(G);
  return t;
}

}  // namespace msim
