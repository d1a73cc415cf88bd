// Joining hit logs to topology rows: row i = layer id i, L<id>_ prefixes checked, geometry checked, leftovers
// warned about; and the overlay with channel vectors.
#include "config.h"
#include "hitlog.h"
#include "join.h"
#include "overlay.h"
#include "parse_error.h"
#include "report.h"
#include "test_util.h"
#include "topology.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace {

const std::string kHeader =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
const std::string kLogHeader =
    "N,C,H,W,S0,S1,hits,misses,call,mode,vector,out_channels,kernel_h,kernel_w,out_h,out_w,groups,stride_h,stride_w,"
    "pad_h,pad_w,dilation_h,dilation_w,hitmap\n";

using msim_test::error_of;

std::map<long long, msim::LayerHits> one_log(long long id, const std::string& rows) {
  return {{id, msim::parse_hitlog_text(kLogHeader + rows, "dir/hitmap-00" + std::to_string(id) + ".csv")}};
}

TEST(Join, RowIndexMustMatchTheNamePrefix) {
  const auto layers = msim::parse_topology_text(kHeader + "L000_a,8,8,3,3,2,4,1,\nL005_b,8,8,3,3,2,4,1,\n", "t.csv");
  EXPECT_EQ(error_of([&] { msim::check_layer_ids(layers, "t.csv"); }),
            "t.csv:3: layer 'L005_b' is row 1 but its name says layer id 5 (row i must be layer id i)");
  // Names without an L<id>_ prefix (SCALE-Sim's own topologies) are joined by row alone.
  const auto plain = msim::parse_topology_text(kHeader + "Conv1,8,8,3,3,2,4,1,\nLx_b,8,8,3,3,2,4,1,\n", "p.csv");
  EXPECT_NO_THROW(msim::check_layer_ids(plain, "p.csv"));
}

TEST(Join, GeometryMustMatchTheRow) {
  // 2 input channels, 4 filters, 3x3 kernel on an 8x8 ifmap: 6x6 outputs.
  auto layers = msim::parse_topology_text(kHeader + "L000_a,8,8,3,3,2,4,1,\n", "t.csv");
  const auto good = one_log(0, "1,2,8,8,36,20,10,26,0,observe,patch,4,3,3,6,6,1,1,1,0,0,1,1,\n");
  EXPECT_TRUE(msim::join_hitlogs(layers, good, "t.csv").empty());
  const auto wrong_filters = one_log(0, "1,2,8,8,36,20,10,26,0,observe,patch,8,3,3,6,6,1,1,1,0,0,1,1,\n");
  EXPECT_EQ(error_of([&] { msim::join_hitlogs(layers, wrong_filters, "t.csv"); }),
            "dir/hitmap-000.csv:2: hit log out_channels 8 does not match t.csv:2 (layer 'L000_a': 4)");
  const auto wrong_kernel = one_log(0, "1,2,8,8,16,20,10,6,0,observe,patch,4,5,5,4,4,1,1,1,0,0,1,1,\n");
  EXPECT_NE(error_of([&] { msim::join_hitlogs(layers, wrong_kernel, "t.csv"); }).find("effective kernel height 5"),
            std::string::npos);
  // Dilation 2 on a 2x2 kernel reads a 3x3 window: the exported row's filter is the effective size.
  const auto dilated = one_log(0, "1,2,8,8,36,20,10,26,0,observe,patch,4,2,2,6,6,1,1,1,0,0,2,2,\n");
  EXPECT_TRUE(msim::join_hitlogs(layers, dilated, "t.csv").empty());
  // Grouped: the row holds one group (C/G channels, Cout/G filters), the log the whole layer and its group count.
  auto grouped = msim::parse_topology_text(kHeader + "L000_dw,8,8,3,3,1,2,1,\n", "g.csv");
  EXPECT_EQ(grouped[0].groups, 1);  // a SCALE-Sim row is one conv
  EXPECT_TRUE(msim::join_hitlogs(grouped, one_log(0, "1,2,8,8,72,20,10,62,0,observe,patch,4,3,3,6,6,2,1,1,0,0,1,1,\n"),
                                 "g.csv").empty());
  EXPECT_EQ(grouped[0].groups, 2);
  auto ungrouped = msim::parse_topology_text(kHeader + "L000_dw,8,8,3,3,1,2,1,\n", "g.csv");
  EXPECT_EQ(error_of([&] { msim::join_hitlogs(ungrouped, good, "g.csv"); }),
            "dir/hitmap-000.csv:2: hit log input channels C 2 does not match g.csv:2 (layer 'L000_dw': 1)");
  // A "/g<G>" suffix is only a name (SCALE-Sim ignores it): no groups without a hit log.
  EXPECT_EQ(msim::parse_topology_text(kHeader + "L000_dw/g2,8,8,3,3,1,2,1,\n", "g.csv")[0].groups, 1);
}

TEST(Join, DepthwiseRowsThatShiftLayerIdsAreRefused) {
  // SCALE-Sim simulates a DP row as one layer per channel: rows after it are no longer layer id = row index.
  auto layers = msim::parse_topology_text(kHeader + "L000_DP,8,8,3,3,2,1,1,\nL001_b,8,8,3,3,2,4,1,\n", "dp.csv");
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(error_of([&] { msim::join_hitlogs(layers, {}, "dp.csv"); }).rfind("dp.csv:2: a depthwise (DP) row", 0), 0u);
  auto single = msim::parse_topology_text(kHeader + "L000_DP,8,8,3,3,1,1,1,\nL001_b,8,8,3,3,2,4,1,\n", "dp1.csv");
  EXPECT_NO_THROW(msim::join_hitlogs(single, {}, "dp1.csv"));  // one channel: one layer, ids unchanged
}

TEST(Join, LeftoverLogsAndOtherSizesAreWarned) {
  auto layers = msim::parse_topology_text(kHeader + "L000_a,8,8,3,3,2,4,1,\n", "t.csv");
  auto logs = one_log(0, "1,2,10,10,64,20,10,54,0,observe,patch,4,3,3,8,8,1,1,1,0,0,1,1,\n");
  logs[7] = msim::parse_hitlog_text(kLogHeader + "1,2,8,8,36,20,10,26,0,observe,patch,4,3,3,6,6,1,1,1,0,0,1,1,\n",
                                    "dir/hitmap-007.csv");
  const auto w = msim::join_hitlogs(layers, logs, "t.csv");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("output 8x8 differs from t.csv:2 (6x6)"), std::string::npos);
  EXPECT_NE(w[1].find("dir/hitmap-007.csv: layer id 7 has no row in t.csv (1 rows): ignored"), std::string::npos);
}

TEST(Join, HitLogCallsMustDescribeOneLayer) {
  EXPECT_EQ(error_of([] {
              msim::parse_hitlog_text(kLogHeader + "1,2,8,8,36,20,10,26,0,observe,patch,4,3,3,6,6,1,1,1,0,0,1,1,\n"
                                                   "1,2,8,8,36,20,10,26,1,observe,patch,4,5,5,6,6,1,1,1,0,0,1,1,\n",
                                      "h.csv");
            }),
            "h.csv:3: kernel_h 5 differs from the first call's 3 (one file must hold one layer)");
  EXPECT_EQ(error_of([] {
              msim::parse_hitlog_text(kLogHeader + "1,2,8,8,36,20,10,26,0,observe,pixel,4,3,3,6,6,1,1,1,0,0,1,1,\n",
                                      "k.csv");
            }),
            "k.csv:2: vector kind must be 'patch' or 'channel', got 'pixel'");
  const auto batch = msim::parse_hitlog_text(
      kLogHeader + "4,2,8,8,144,20,100,44,0,observe,patch,4,3,3,6,6,1,1,1,0,0,1,1,\n"
                   "2,2,8,8,72,20,72,0,1,observe,patch,4,3,3,6,6,1,1,1,0,0,1,1,\n",
      "b.csv");
  EXPECT_EQ(batch.batch_images, 6);
  EXPECT_NEAR(batch.hit_rate(), 172.0 / 216.0, 1e-12);  // every call counts, not the last batch
}

TEST(Overlay, ChannelVectorsCountPerChannelWindow) {
  const auto c = msim_test::array_config("ws", 4, 4, 64);
  const auto l = msim::parse_topology_text(kHeader + "l,10,10,3,3,2,8,1,\n", "l.csv")[0];  // 64 px, K = 18
  msim::LayerHits h;
  h.calls = 1;
  h.vectors = 128;  // 64 positions x 2 channels
  h.hits = 64;
  h.misses = 64;
  h.sig_bits = 6;
  h.vector_kind = "channel";
  const auto r = msim::mercury_layer(l, c, &h);
  EXPECT_EQ(r.lookup_cycles, 128);                                                              // one per window
  EXPECT_EQ(r.signature_cycles, msim::compute_mapping(msim::map_layer(128, 9, 6, c.dataflow), c).cycles);
  EXPECT_EQ(r.result_read_cycles, 64 * 8 / 4);  // 64 hit windows x 8 partial sums at 4 words/cycle
  EXPECT_EQ(r.streamed_cycles, msim::compute_mapping(msim::map_layer(32, 18, 8, c.dataflow), c).cycles);
  auto patch = h;
  patch.vector_kind = "patch";
  patch.vectors = 64;
  patch.hits = 32;
  patch.misses = 32;
  const auto p = msim::mercury_layer(l, c, &patch);
  EXPECT_EQ(p.streamed_cycles, r.streamed_cycles);  // same fraction, same packed rows
  EXPECT_EQ(p.lookup_cycles, 64);
}

TEST(Reports, MercuryTotalsFlagLayersWithoutHitLog) {
  const std::string& fixtures = msim_test::kFixtures;
  const auto config = msim::parse_config(msim_test::kConfigs + "/eyeriss_ws.cfg");
  auto layers = msim::parse_topology(fixtures + "/small.csv");
  const auto logs = msim::read_hitlog_dir(fixtures + "/hitlog");  // layer 0 only: 2 calls, 196 of 392 hits
  EXPECT_TRUE(msim::join_hitlogs(layers, logs, "small.csv").empty());
  const auto results = msim::simulate(layers, config, &logs);
  const std::string out = ::testing::TempDir() + "msim_totals";
  msim::write_reports(results, config, true, out);
  std::ifstream in(out + "/MERCURY_TOTAL.csv");
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  long long base = 0, merc = 0;
  for (const auto& r : results) {
    base += r.mercury.baseline_cycles;
    merc += r.mercury.mercury_cycles();
  }
  std::ostringstream expected;
  expected << "4,1,3,392,196,0.5," << base << ",";
  EXPECT_EQ(row.rfind(expected.str(), 0), 0u) << row;
  EXPECT_NE(row.find("," + std::to_string(merc) + ","), std::string::npos) << row;
  EXPECT_FALSE(results[1].mercury.has_hitlog);
  EXPECT_EQ(results[1].mercury.mercury_cycles(), results[1].mercury.baseline_cycles);
}

}  // namespace
