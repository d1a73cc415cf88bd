// The MERCURY overlay on hand-checked small layers.
#include "config.h"
#include "overlay.h"
#include "test_util.h"
#include "topology.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

msim::Config config(const char* dataflow) { return msim_test::array_config(dataflow, 4, 4, 64); }

msim::Layer layer() {  // 10x10 ifmap, 3x3 filter, 2 channels, 8 filters: 64 pixels, K = 18
  return msim::parse_topology_text("name,H,W,FH,FW,C,N,S\nl,10,10,3,3,2,8,1,\n", "inline.csv")[0];
}

msim::LayerHits hits(long long h, long long vectors, long long bits = 6) {
  msim::LayerHits x;
  x.calls = 1;
  x.vectors = vectors;
  x.hits = h;
  x.misses = vectors - h;
  x.sig_bits = bits;
  return x;
}

TEST(Overlay, ZeroHitsIsBaselinePlusOverheads) {
  for (const char* df : {"ws", "os", "is"}) {
    SCOPED_TRACE(df);
    const auto c = config(df);
    const auto none = hits(0, 64);
    const auto r = msim::mercury_layer(layer(), c, &none);
    EXPECT_EQ(r.streamed_cycles, r.baseline_cycles);
    EXPECT_EQ(r.result_read_cycles, 0);
    EXPECT_EQ(r.lookup_cycles, 64);  // one probe per vector
    EXPECT_EQ(r.signature_cycles, msim::compute_mapping(msim::map_layer(64, 18, 6, c.dataflow), c).cycles);
    EXPECT_EQ(r.mercury_cycles(), r.baseline_cycles + r.overhead_cycles());
  }
}

TEST(Overlay, AllRepeatsLeaveOnlyFirstMissesAndOverheads) {
  // 64 vectors, 4 distinct signatures: 60 hits. WS streams only 4 pixel rows: 2 row folds x 2 col folds.
  const auto c = config("ws");
  const auto repeats = hits(60, 64);
  const auto r = msim::mercury_layer(layer(), c, &repeats);
  EXPECT_EQ(r.streamed_cycles, 5 * 2 * (2 * 4 + 4 + 4 - 2) - 1);  // ceil(18/4)=5 row folds, ceil(8/4)=2 col folds
  EXPECT_EQ(r.result_read_cycles, 60 * 8 / 4);                     // 8 outputs per hit at 4 words/cycle
  EXPECT_EQ(r.mercury_cycles(), r.streamed_cycles + r.overhead_cycles());
  EXPECT_LT(r.streamed_cycles, r.baseline_cycles / 4);
  // On a layer this small the signature GEMM, 64 lookups and 120 result-read cycles outweigh the saving.
  EXPECT_DOUBLE_EQ(r.speedup(), static_cast<double>(r.baseline_cycles) / r.mercury_cycles());
  EXPECT_NEAR(r.hit_rate, 60.0 / 64.0, 1e-12);
}

TEST(Overlay, SeparateSignatureUnitAndNoHitLog) {
  auto c = config("ws");
  c.mercury.signature_unit_macs = 16;
  const auto half = hits(32, 64, 8);
  const auto r = msim::mercury_layer(layer(), c, &half);
  EXPECT_EQ(r.signature_cycles, (64 * 18 * 8 + 15) / 16);
  const auto missing = msim::mercury_layer(layer(), c, nullptr);
  EXPECT_FALSE(missing.has_hitlog);
  EXPECT_EQ(missing.mercury_cycles(), missing.baseline_cycles);
  EXPECT_EQ(missing.overhead_cycles(), 0);
}

TEST(Overlay, UserInterfaceStallsScaleWithStreamedWork) {
  // 1 KB SRAMs at 1 word/cycle: the baseline stalls; zero hits keep every stall, half the pixels keep about half.
  auto c = msim::parse_config_text(
      "[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nIfmapSramSzkB: 1\nFilterSramSzkB: 1\n"
      "OfmapSramSzkB: 1\nDataflow: ws\nBandwidth: 1\n[run_presets]\nInterfaceBandwidth: USER\n", "user.cfg");
  const long long stalls = msim::memory_layer(layer(), msim::compute_layer(layer(), c), c).stall_cycles;
  ASSERT_GT(stalls, 0);
  const auto none = hits(0, 64);
  const auto r0 = msim::mercury_layer(layer(), c, &none);
  EXPECT_EQ(r0.baseline_cycles, msim::compute_layer(layer(), c).cycles + stalls);
  EXPECT_EQ(r0.streamed_cycles, r0.baseline_cycles);
  const auto half = hits(32, 64);
  const auto r1 = msim::mercury_layer(layer(), c, &half);
  const long long cc = msim::compute_mapping(msim::map_layer(32, 18, 8, c.dataflow), c).cycles;
  EXPECT_EQ(r1.streamed_cycles,
            cc + std::llround(static_cast<double>(stalls) * cc / msim::compute_layer(layer(), c).cycles));
}

TEST(Overlay, GroupedLayersAreSimulatedPerGroup) {
  const auto c = config("ws");
  auto grouped = layer();  // one group; the hit log's groups column sets the count (join.h, hitlog_topology.h)
  grouped.groups = 3;
  const auto h = hits(96, 192);
  const auto one = msim::mercury_layer(layer(), c, &h);
  const auto three = msim::mercury_layer(grouped, c, &h);
  EXPECT_EQ(three.baseline_cycles, 3 * one.baseline_cycles);
  EXPECT_EQ(three.mercury_cycles(), 3 * one.mercury_cycles());
}

}  // namespace
