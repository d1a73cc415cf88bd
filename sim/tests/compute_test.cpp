// Per-layer results against reports produced by SCALE-Sim v2 itself (fixtures/make_fixtures.sh).
#include "config.h"
#include "report.h"
#include "test_util.h"
#include "topology.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace {

using msim_test::kConfigs;
using msim_test::kFixtures;
using msim_test::read_report;

class AgainstScaleSim : public ::testing::TestWithParam<std::string> {};

// Fixture directories are <config>__<topology>: SCALE-Sim v2's own reports for that pair (configs/ or, for
// test-only configs, fixtures/configs/). Every cell of the three reports must match: counts and cycles exactly,
// ratios to 1e-9 relative. A config naming its topology ([network_presets]) is read as SCALE-Sim read it in
// make_fixtures.sh: from the fixtures folder.
TEST_P(AgainstScaleSim, AllReportsMatch) {
  const std::string& fixtures = kFixtures;
  const std::string pair = GetParam();
  const std::string config_name = pair.substr(0, pair.find("__"));
  const std::string topology = pair.substr(pair.find("__") + 2);
  std::string cfg = kConfigs + "/" + config_name + ".cfg";
  if (!std::ifstream(cfg).good()) cfg = fixtures + "/configs/" + config_name + ".cfg";
  const msim::Config config = msim::parse_config(cfg);
  std::string topo = fixtures + "/" + (config.topology_path.empty() ? topology + ".csv" : config.topology_path);
  if (!std::ifstream(topo).good()) {
    // SCALE-Sim's own example topologies are not copied into this repository: read them from a checkout.
    const char* scalesim = std::getenv("MSIM_SCALESIM_DIR");
    const std::string file = topology == "scalesim_test" ? "test.csv" : "Resnet_test.csv";
    topo = std::string(scalesim ? scalesim : "") + "/topologies/conv_nets/" + file;
    if (!scalesim || !std::ifstream(topo).good()) {
      GTEST_SKIP() << pair << ": set MSIM_SCALESIM_DIR to a scale-sim-v2 checkout to compare on its " << file;
    }
  }
  const auto layers = msim::parse_topology(topo);
  const auto results = msim::simulate(layers, config, nullptr);
  const std::string out = ::testing::TempDir() + "msim_" + pair;
  msim::write_reports(results, config, false, out);
  for (const char* report : {"COMPUTE_REPORT", "BANDWIDTH_REPORT", "DETAILED_ACCESS_REPORT"}) {
    const auto theirs = read_report(fixtures + "/" + pair + "/" + report + ".csv");
    const auto ours = read_report(out + "/" + report + ".csv");
    ASSERT_EQ(ours.size(), theirs.size()) << report;
    for (size_t i = 0; i < theirs.size(); ++i) {
      ASSERT_EQ(ours[i].size(), theirs[i].size()) << report << " row " << i;
      for (size_t k = 0; k < theirs[i].size(); ++k) {
        EXPECT_NEAR(ours[i][k], theirs[i][k], 1e-9 * std::max(1.0, std::abs(theirs[i][k])))
            << pair << " " << report << " layer " << i << " column " << k;
      }
    }
  }
  for (const auto& r : results) EXPECT_TRUE(r.memory.exact_reads);
}

// The fast first-order memory model keeps compute cycles and SRAM counts exact.
TEST(Compute, FastMemoryKeepsComputeExact) {
  const std::string& fixtures = kFixtures;
  msim::Config config = msim::parse_config(kConfigs + "/eyeriss_ws.cfg");
  config.exact_memory = false;
  const auto results = msim::simulate(msim::parse_topology(fixtures + "/medium.csv"), config, nullptr);
  const auto compute = read_report(fixtures + "/eyeriss_ws__medium/COMPUTE_REPORT.csv");
  const auto access = read_report(fixtures + "/eyeriss_ws__medium/DETAILED_ACCESS_REPORT.csv");
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_FALSE(results[i].memory.exact_reads);
    EXPECT_EQ(results[i].compute.cycles, static_cast<long long>(compute[i][1]));
    EXPECT_EQ(results[i].compute.ifmap_sram_reads, static_cast<long long>(access[i][3]));
  }
}

// The fast model's DRAM reads are approximate; on a whole network (GoogLeNet, SCALE-Sim's reports) its totals stay
// within 15% (measured: ws +3%, os -9% ifmap / -4% filter) and every cycle count is exact (CALC).
TEST(Compute, FastMemoryTotalsOnGoogLeNet) {
  const std::string& fixtures = kFixtures;
  for (const char* df : {"ws", "os"}) {
    SCOPED_TRACE(df);
    msim::Config config = msim::parse_config(kConfigs + "/eyeriss_" + df + ".cfg");
    config.exact_memory = false;
    const auto results = msim::simulate(msim::parse_topology(fixtures + "/googlenet.csv"), config, nullptr);
    const auto compute = read_report(fixtures + "/eyeriss_" + df + "__googlenet/COMPUTE_REPORT.csv");
    const auto access = read_report(fixtures + "/eyeriss_" + df + "__googlenet/DETAILED_ACCESS_REPORT.csv");
    double ours_i = 0, theirs_i = 0, ours_f = 0, theirs_f = 0;
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].memory.total_cycles, static_cast<long long>(compute[i][1]));
      ours_i += static_cast<double>(results[i].memory.ifmap_dram_reads);
      theirs_i += access[i][12];
      ours_f += static_cast<double>(results[i].memory.filter_dram_reads);
      theirs_f += access[i][15];
    }
    EXPECT_NEAR(ours_i / theirs_i, 1.0, 0.15);
    EXPECT_NEAR(ours_f / theirs_f, 1.0, 0.15);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, AgainstScaleSim,
    ::testing::Values("eyeriss_ws__small", "eyeriss_os__small", "eyeriss_is__small", "scale32_ws__small",
                      "scale32_os__small", "scale32_is__small", "eyeriss_ws_user__small", "eyeriss_ws_bw2__small",
                      "eyeriss_os_bw2__small", "eyeriss_is_bw2__small", "scale32_ws_bw4__small",
                      "eyeriss_ws__medium", "eyeriss_os__medium", "eyeriss_is__medium", "scale32_ws__medium",
                      "eyeriss_ws_user__medium", "eyeriss_ws_bw2__medium", "eyeriss_os_bw2__medium",
                      "eyeriss_is_bw2__medium", "scale32_ws_bw4__medium", "eyeriss_ws__gemm",
                      "eyeriss_os_bw2__gemm", "scale32_is__gemm", "eyeriss_ws__scalesim_test",
                      "eyeriss_os__scalesim_test", "eyeriss_is__scalesim_test", "scale__scalesim_test",
                      "google__scalesim_test", "eyeriss_ws__scalesim_resnet_test", "eyeriss_is__scalesim_resnet_test",
                      "eyeriss_ws__googlenet", "eyeriss_os__googlenet",
                      // depthwise DP rows, per-axis strides (ninth column), a Bandwidth list, [network_presets]
                      "eyeriss_ws__dp", "eyeriss_os__dp", "eyeriss_is__dp", "eyeriss_ws_bw2__dp",
                      "eyeriss_ws__strides", "eyeriss_os__strides", "eyeriss_is__strides", "eyeriss_os_bw2__strides",
                      "eyeriss_is_bw2__strides", "scale32_ws__strides", "eyeriss_ws__strides_big",
                      "eyeriss_os__strides_big", "eyeriss_is__strides_big", "eyeriss_ws_bwlist__small",
                      "eyeriss_ws_np__small"),
    [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(Compute, HandCheckedWeightStationaryLayer) {
  // 4x4 ifmap, 3x3 filter, 2 channels, 3 filters on a 4x4 array: K = 18, T = 4 pixels.
  const msim::Config c = msim_test::array_config("ws", 4, 4, 1);
  const auto layers = msim::parse_topology_text("name,H,W,FH,FW,C,N,S\nl,4,4,3,3,2,3,1,\n", "inline.csv");
  const auto r = msim::compute_layer(layers[0], c);
  EXPECT_EQ(r.row_fold, 5);                    // ceil(18 / 4)
  EXPECT_EQ(r.col_fold, 1);                    // ceil(3 / 4)
  EXPECT_EQ(r.cycles, 5 * (2 * 4 + 4 + 4 - 2) - 1);
  EXPECT_EQ(r.macs, 4 * 18 * 3);
  EXPECT_NEAR(r.mapping_efficiency, 100.0 * 18 * 3 / (5 * 16), 1e-9);
}

TEST(Compute, HandCheckedOutputAndInputStationaryLayers) {
  // 6x6 ifmap, 3x3 filter, 2 channels, 5 filters on a 4x4 array: P = 16 pixels, K = 18, N = 5.
  const auto l = msim::parse_topology_text("name,H,W,FH,FW,C,N,S\nl,6,6,3,3,2,5,1,\n", "inline.csv")[0];
  auto config = [](const char* df) { return msim_test::array_config(df, 4, 4, 1); };
  // os: pixels x filters on the array (16 x 5: 4 x 2 folds), K = 18 streamed; a fold is T + R + C - 2 rows.
  const auto os = msim::compute_layer(l, config("os"));
  EXPECT_EQ(os.row_fold, 4);
  EXPECT_EQ(os.col_fold, 2);
  EXPECT_EQ(os.cycles, 8 * (18 + 4 + 4 - 2) - 1);
  EXPECT_NEAR(os.mapping_efficiency, 100.0 * 16 * 5 / (8 * 16), 1e-9);
  // is: K x pixels on the array (18 x 16: 5 x 4 folds), N = 5 streamed; a fold is 2R + C + T - 2 rows.
  const auto is = msim::compute_layer(l, config("is"));
  EXPECT_EQ(is.row_fold, 5);
  EXPECT_EQ(is.col_fold, 4);
  EXPECT_EQ(is.cycles, 20 * (2 * 4 + 4 + 5 - 2) - 1);
  EXPECT_NEAR(is.mapping_efficiency, 100.0 * 18 * 16 / (20 * 16), 1e-9);
  EXPECT_EQ(os.macs, 16 * 18 * 5);
  EXPECT_EQ(is.macs, os.macs);
}

}  // namespace
