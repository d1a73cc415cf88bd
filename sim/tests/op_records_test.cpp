// Hit-log records of the three ops (record_schema.h's op column): a linear layer's record builds SCALE-Sim's GEMM
// layer (the same cycles as a GEMM topology row), a matmul of two activations is simulated at baseline with no
// MERCURY overlay and counted apart, and a bad or changing op is a parse error with file:line.
#include "compute.h"
#include "hitlog.h"
#include "hitlog_topology.h"
#include "layer_totals.h"
#include "overlay.h"
#include "test_util.h"
#include "topology.h"

#include <gtest/gtest.h>

namespace {

const char* kHeader = "layer_id,call,op,N,C,H,W,out_channels,kernel_h,kernel_w,out_h,out_w,groups,stride_h,stride_w,"
                      "vectors,sig_bits,hits,misses,vector_kind\n";

// One call of a GEMM [rows, k] x [k, n] per sample, heads as groups, as the op and mercury.matmuls log it.
std::string gemm_row(const std::string& op, long long samples, long long rows, long long k, long long n,
                     long long heads, long long vectors, long long hits) {
  return "0,0," + op + "," + std::to_string(samples) + "," + std::to_string(k * heads) + "," + std::to_string(rows) +
         ",1," + std::to_string(n * heads) + ",1,1," + std::to_string(rows) + ",1," + std::to_string(heads) +
         ",1,1," + std::to_string(vectors) + ",8," + std::to_string(hits) + "," + std::to_string(vectors - hits) +
         ",patch\n";
}

TEST(OpRecords, ALinearRecordIsScaleSimsGemmLayer) {
  const auto hits = msim::parse_hitlog_text(std::string(kHeader) + gemm_row("linear", 4, 16, 12, 8, 1, 64, 16),
                                            "hitlog-000.csv");
  EXPECT_EQ(hits.op, "linear");
  const auto built = msim::layers_from_hitlogs({{0, hits}}, "dir");
  const auto gemm = msim::parse_topology_text("Layer Name, M, N, K,\nl,16,8,12,\n", "gemm.csv");
  for (const char* df : {"ws", "os", "is"}) {
    SCOPED_TRACE(df);
    const auto c = msim_test::array_config(df, 4, 4, 64);
    EXPECT_EQ(msim::compute_layer(built[0], c).cycles, msim::compute_layer(gemm[0], c).cycles);
    EXPECT_EQ(built[0].ofmap_px(), 16);
    EXPECT_EQ(built[0].window(), 12);
  }
}

TEST(OpRecords, AMatmulIsBaselineOnlyAndCountedApart) {
  const auto hits = msim::parse_hitlog_text(std::string(kHeader) + gemm_row("matmul", 2, 16, 8, 16, 3, 0, 0),
                                            "hitlog-001.csv");
  const auto layer = msim::layers_from_hitlogs({{0, hits}}, "dir")[0];
  EXPECT_EQ(layer.groups, 3);
  const auto c = msim_test::array_config("ws", 4, 4, 64);
  const auto r = msim::mercury_layer(layer, c, &hits);
  EXPECT_TRUE(r.has_hitlog);
  EXPECT_FALSE(r.accelerated);
  EXPECT_EQ(r.overhead_cycles(), 0);
  EXPECT_EQ(r.mercury_cycles(), r.baseline_cycles);
  EXPECT_EQ(r.baseline_cycles, 3 * msim::compute_layer(layer, c).cycles);
  msim::LayerResult matmul, linear;
  matmul.mercury = r;
  linear.mercury.has_hitlog = true;
  linear.mercury.baseline_cycles = 100;
  linear.mercury.streamed_cycles = 60;
  const auto totals = msim::sum_layers({matmul, linear});
  EXPECT_EQ(totals.untouched_cycles, r.baseline_cycles);
  EXPECT_EQ(totals.baseline_cycles, r.baseline_cycles + 100);
}

TEST(OpRecords, ABadOrChangingOpIsAnError) {
  EXPECT_NE(msim_test::error_of([&] {
              msim::parse_hitlog_text(std::string(kHeader) + gemm_row("dense", 1, 4, 4, 4, 1, 4, 0), "hitlog-002.csv");
            }).find("hitlog-002.csv:2: op must be 'conv2d', 'linear' or 'matmul', got 'dense'"),
            std::string::npos);
  EXPECT_NE(msim_test::error_of([&] {
              msim::parse_hitlog_text(std::string(kHeader) + gemm_row("linear", 1, 4, 4, 4, 1, 4, 0) +
                                          gemm_row("conv2d", 1, 4, 4, 4, 1, 4, 0),
                                      "hitlog-003.csv");
            }).find("hitlog-003.csv:3: op 'conv2d' differs from the first call's 'linear'"),
            std::string::npos);
  const auto old = msim::parse_hitlog_text("layer_id,vectors,sig_bits,hits,misses\n0,4,8,1,3\n", "hitlog-004.csv");
  EXPECT_EQ(old.op, "conv2d");  // logs from before the column
}

}  // namespace
