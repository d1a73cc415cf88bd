// The training step (mercury-sim --training): forward, input gradient and weight gradient, baseline and MERCURY,
// on hand-checked small layers.
#include "config.h"
#include "overlay.h"
#include "report.h"
#include "test_util.h"
#include "topology.h"
#include "training.h"

#include <gtest/gtest.h>

namespace {

msim::Config config(const char* dataflow) { return msim_test::array_config(dataflow, 4, 4, 64); }

msim::Layer layer() {  // 10x10 ifmap, 3x3 filter, 2 channels, 8 filters: P = 64 pixels, K = 18, N = 8
  return msim::parse_topology_text("name,H,W,FH,FW,C,N,S\nl,10,10,3,3,2,8,1,\n", "inline.csv")[0];
}

msim::LayerHits hits(long long h, long long vectors) {
  msim::LayerHits x;
  x.calls = 1;
  x.vectors = vectors;
  x.hits = h;
  x.misses = vectors - h;
  x.sig_bits = 6;
  return x;
}

msim::TrainingResult step(const msim::Layer& l, const msim::Config& c, const msim::LayerHits* h) {
  return msim::training_layer(l, c, msim::mercury_layer(l, c, h));
}

TEST(Training, ZeroHitsIsBaselinePlusForwardOverheads) {
  for (const char* df : {"ws", "os", "is"}) {
    SCOPED_TRACE(df);
    const auto c = config(df);
    const auto none = hits(0, 64);
    const auto fwd = msim::mercury_layer(layer(), c, &none);
    const auto t = msim::training_layer(layer(), c, fwd);
    EXPECT_EQ(fwd.streamed_cycles, fwd.baseline_cycles);
    EXPECT_EQ(t.forward_baseline, fwd.baseline_cycles);
    EXPECT_EQ(t.forward_mercury, fwd.baseline_cycles + fwd.signature_cycles + fwd.lookup_cycles);
    EXPECT_EQ(t.grad_sum_cycles, 0);  // no hit row, nothing to add
    EXPECT_EQ(t.input_grad_mercury, t.input_grad_baseline);
    EXPECT_EQ(t.weight_grad_mercury, t.weight_grad_baseline);
    EXPECT_EQ(t.step_mercury(), t.step_baseline() + fwd.signature_cycles + fwd.lookup_cycles);
    EXPECT_LT(t.step_speedup(), 1.0);
  }
}

TEST(Training, AllRepeatsShrinkBackwardToUniqueMisses) {
  const auto c = config("ws");
  // 60 of 64 hit: P' = 4 unique rows. Both backward GEMMs run on 4 rows; 60 hit rows x 8 gradients are added
  // first, 4 per cycle.
  const auto repeats = hits(60, 64);
  const auto t = step(layer(), c, &repeats);
  EXPECT_EQ(t.grad_sum_cycles, 60 * 8 / 4);
  EXPECT_EQ(t.input_grad_mercury, msim::gemm_cycles(4, 18, 8, c) + t.grad_sum_cycles);
  EXPECT_EQ(t.weight_grad_mercury, msim::gemm_cycles(8, 18, 4, c));
  // ws, input gradient on 4 rows: Sr = 8 (2 row folds), Sc = 18 (5 col folds), T = 4: 10 x (2*4 + 4 + 4 - 2) - 1.
  EXPECT_EQ(msim::gemm_cycles(4, 18, 8, c), 10 * 14 - 1);
  // ws, weight gradient with reduction 4: Sr = 4 (1), Sc = 18 (5), T = 8: 5 x (8 + 4 + 8 - 2) - 1.
  EXPECT_EQ(t.weight_grad_mercury, 5 * 18 - 1);
  EXPECT_LT(t.input_grad_mercury - t.grad_sum_cycles, t.input_grad_baseline / 4);
  EXPECT_LT(t.weight_grad_mercury, t.weight_grad_baseline / 4);
  // Every vector a hit (h = 1): no GEMM left, only the additions (64 rows x 8 gradients / 4).
  const auto all = hits(64, 64);
  const auto u = step(layer(), c, &all);
  EXPECT_EQ(u.input_grad_mercury, 64 * 8 / 4);
  EXPECT_EQ(u.weight_grad_mercury, 0);
}

// Hand-checked from SCALE-Sim's formulas (sim/README.md, "Compute model"), 4x4 array (R = C = 4), CALC (no stalls):
// a GEMM (M, N, K) is placed as a layer of M pixels, window K and N filters; ws (Sr, Sc, T) = (K, N, M),
// os = (M, N, K), is = (K, M, N); cycles = folds x per-fold - 1, folds = ceil(Sr/4) ceil(Sc/4), per fold
// ws/is 2R + C + T - 2 = T + 10, os T + R + C - 2 = T + 6.
// Layer: P = 64, K = 18, N = 8; 48 of 64 hits give P' = 16.
// Input gradient = GEMM (P, 18, 8); weight gradient = GEMM (8, 18, P).
struct HandCase {
  const char* dataflow;
  long long ig_base, ig_merc, wg_base, wg_merc;
};
const HandCase kHandCases[] = {
    // ws  IG P=64:  Sr 8 (2) x Sc 18 (5) = 10 folds, T 64: 10 x 74 - 1;   P'=16: T 16: 10 x 26 - 1
    //     WG P=64:  Sr 64 (16) x Sc 18 (5) = 80 folds, T 8: 80 x 18 - 1;  P'=16: Sr 16 (4): 20 x 18 - 1
    {"ws", 10 * 74 - 1, 10 * 26 - 1, 80 * 18 - 1, 20 * 18 - 1},
    // os  IG P=64:  Sr 64 (16) x Sc 18 (5) = 80 folds, T 8: 80 x 14 - 1;  P'=16: Sr 16 (4): 20 x 14 - 1
    //     WG P=64:  Sr 8 (2) x Sc 18 (5) = 10 folds, T 64: 10 x 70 - 1;   P'=16: T 16: 10 x 22 - 1
    {"os", 80 * 14 - 1, 20 * 14 - 1, 10 * 70 - 1, 10 * 22 - 1},
    // is  IG P=64:  Sr 8 (2) x Sc 64 (16) = 32 folds, T 18: 32 x 28 - 1;  P'=16: Sc 16 (4): 8 x 28 - 1
    //     WG P=64:  Sr 64 (16) x Sc 8 (2) = 32 folds, T 18: 32 x 28 - 1;  P'=16: Sr 16 (4): 8 x 28 - 1
    {"is", 32 * 28 - 1, 8 * 28 - 1, 32 * 28 - 1, 8 * 28 - 1},
};

TEST(Training, HandCheckedBackwardGemms) {
  for (const HandCase& hc : kHandCases) {
    SCOPED_TRACE(hc.dataflow);
    const auto c = config(hc.dataflow);
    const auto h = hits(48, 64);
    const auto t = step(layer(), c, &h);
    const long long grad_sum = (64 - 16) * 8 / 4;  // 48 hit rows x 8 gradients, 4 adds per cycle
    EXPECT_EQ(t.grad_sum_cycles, grad_sum);
    EXPECT_EQ(t.input_grad_baseline, hc.ig_base);
    EXPECT_EQ(t.input_grad_mercury, hc.ig_merc + grad_sum);
    EXPECT_EQ(t.weight_grad_baseline, hc.wg_base);
    EXPECT_EQ(t.weight_grad_mercury, hc.wg_merc);
    EXPECT_EQ(t.step_baseline(), t.forward_baseline + hc.ig_base + hc.wg_base);
  }
}

TEST(Training, NoHitLogIsBaselineAndGroupsMultiply) {
  const auto c = config("os");
  const auto missing = step(layer(), c, nullptr);
  EXPECT_EQ(missing.step_mercury(), missing.step_baseline());
  EXPECT_EQ(missing.grad_sum_cycles, 0);
  auto grouped = layer();
  grouped.groups = 3;
  const auto h = hits(96, 192);
  const auto one = step(layer(), c, &h);
  const auto three = step(grouped, c, &h);
  EXPECT_EQ(three.step_baseline(), 3 * one.step_baseline());
  EXPECT_EQ(three.step_mercury(), 3 * one.step_mercury());
  EXPECT_EQ(three.grad_sum_cycles, 3 * one.grad_sum_cycles);
}

TEST(Training, BackwardGemmsUseTheMemoryModel) {
  // 1 KB SRAMs at 1 word/cycle (USER): the backward GEMMs stall as the forward does.
  const auto c = msim::parse_config_text(
      "[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nIfmapSramSzkB: 1\nFilterSramSzkB: 1\n"
      "OfmapSramSzkB: 1\nDataflow: ws\nBandwidth: 1\n[run_presets]\nInterfaceBandwidth: USER\n", "user.cfg");
  const auto g = msim::gemm_layer("g", 64, 18, 8);
  const auto compute = msim::compute_layer(g, c);
  const long long stalls = msim::memory_layer(g, compute, c).stall_cycles;
  ASSERT_GT(stalls, 0);
  EXPECT_EQ(msim::gemm_cycles(64, 18, 8, c), compute.cycles + stalls);
}

TEST(Training, ReportsCarryTheStepColumns) {
  auto c = config("ws");
  c.training = true;
  const auto layers = msim::parse_topology_text("name,H,W,FH,FW,C,N,S\na,10,10,3,3,2,8,1,\nb,6,6,1,1,4,4,1,\n",
                                                "two.csv");
  const std::map<long long, msim::LayerHits> logs{{0, hits(48, 64)}};  // layer b has no hit log
  const auto results = msim::simulate(layers, c, &logs);
  EXPECT_EQ(results[1].training.step_mercury(), results[1].training.step_baseline());
  const std::string dir = ::testing::TempDir() + "/training_reports";
  msim::write_reports(results, c, true, dir);
  const std::string report = msim_test::read_text(dir + "/MERCURY_REPORT.csv");
  EXPECT_NE(report.find(",Speedup,ForwardBaselineCycles,ForwardMercuryCycles,InputGradBaselineCycles,"
                        "InputGradMercuryCycles,GradSumCycles,WeightGradBaselineCycles,WeightGradMercuryCycles,"
                        "StepBaselineCycles,StepMercuryCycles,StepSpeedup\n"),
            std::string::npos);
  const auto totals = msim_test::read_report(dir + "/MERCURY_TOTAL.csv");
  ASSERT_EQ(totals.size(), 1u);
  ASSERT_EQ(totals[0].size(), 20u);  // 10 existing columns + 9 cycle columns + StepSpeedup
  const long long base = results[0].training.step_baseline() + results[1].training.step_baseline();
  const long long merc = results[0].training.step_mercury() + results[1].training.step_mercury();
  EXPECT_EQ(totals[0][17], base);
  EXPECT_EQ(totals[0][18], merc);
  EXPECT_NEAR(totals[0][19], static_cast<double>(base) / merc, 1e-9);
}

}  // namespace
