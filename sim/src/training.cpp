#include "training.h"

#include "compute.h"
#include "memory.h"
#include "scalesim_constants.h"

namespace msim {

long long gemm_cycles(long long m, long long n, long long k, const Config& c) {
  if (m == 0 || k == 0) return 0;
  const Layer g = gemm_layer("gemm", m, n, k);
  const ComputeResult compute = compute_layer(g, c);
  return compute.cycles + memory_layer(g, compute, c).stall_cycles;
}

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
  const long long P = l.ofmap_px(), K = l.window(), N = l.filters, G = l.groups;  // per group: N = Cout / G
  t.forward_baseline = forward.baseline_cycles;
  t.forward_mercury = forward.mercury_cycles();
  // Input gradient: dX rows (P x K) = dY (P x N) W (N x K): GEMM M = P, N = K output columns, reduction N.
  t.input_grad_baseline = G * gemm_cycles(P, K, N, c);
  // Weight gradient: dW (N x K) = dY^T (N x P) X (P x K): GEMM M = N, N = K, reduction P.
  t.weight_grad_baseline = G * gemm_cycles(N, K, P, c);
  if (!forward.has_hitlog) {
    t.input_grad_mercury = t.input_grad_baseline;
    t.weight_grad_mercury = t.weight_grad_baseline;
    return t;
  }
  // The forward's reuse map: P' unique missed rows; each hit row's N output gradients are first added into its
  // source row (ArrayWidth additions per cycle, once per step), then both GEMMs run on P' rows.
  const long long rows = missed_rows(P, forward.hit_rate);
  t.grad_sum_cycles = G * ceil_div((P - rows) * N, c.array_width);
  t.input_grad_mercury = G * gemm_cycles(rows, K, N, c) + t.grad_sum_cycles;
  t.weight_grad_mercury = G * gemm_cycles(N, K, rows, c);
  return t;
}

}  // namespace msim
