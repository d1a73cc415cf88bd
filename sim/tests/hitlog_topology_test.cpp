// mercury-sim -m DIR without -t: the layers built from the hit logs' geometry give the same numbers as the topology
// models/topology.py exports for the same layers (fixtures/hitlog_net.csv, written by ConvLayer.conv_row).
#include "hitlog.h"
#include "hitlog_topology.h"
#include "join.h"
#include "report.h"
#include "test_util.h"
#include "topology.h"

#include <gtest/gtest.h>

namespace {

using msim_test::error_of;
using msim_test::kConfigs;
using msim_test::kFixtures;
using msim_test::read_text;

// The reports of both paths, file by file (MERCURY_REPORT.csv differs only in the layer names: L000 vs L000_conv1).
void expect_same_reports(const std::vector<msim::Layer>& a, const std::vector<msim::Layer>& b,
                         const std::map<long long, msim::LayerHits>& logs, const msim::Config& c, const std::string& tag) {
  const std::string dir_a = ::testing::TempDir() + "msim_hitlog_a_" + tag, dir_b = ::testing::TempDir() + "msim_hitlog_b_" + tag;
  msim::write_reports(msim::simulate(a, c, &logs), c, true, dir_a);
  msim::write_reports(msim::simulate(b, c, &logs), c, true, dir_b);
  for (const char* f : {"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv", "MERCURY_TOTAL.csv"}) {
    const std::string ta = read_text(dir_a + "/" + f);
    EXPECT_FALSE(ta.empty()) << f;
    EXPECT_EQ(ta, read_text(dir_b + "/" + f)) << tag << " " << f;
  }
}

TEST(HitLogTopology, SameNumbersAsTheExportedTopology) {
  const auto logs = msim::read_hitlog_dir(kFixtures + "/hitlog_net");
  const auto built = msim::layers_from_hitlogs(logs, kFixtures + "/hitlog_net");
  auto exported = msim::parse_topology(kFixtures + "/hitlog_net.csv");
  EXPECT_TRUE(msim::join_hitlogs(exported, logs, "hitlog_net.csv").empty());
  ASSERT_EQ(built.size(), exported.size());
  for (size_t i = 0; i < built.size(); ++i) {
    SCOPED_TRACE(exported[i].name);
    EXPECT_EQ(exported[i].name.rfind(built[i].name + "_", 0), 0u);  // L000 vs L000_conv1
    EXPECT_EQ(built[i].ifmap_h, exported[i].ifmap_h);
    EXPECT_EQ(built[i].ifmap_w, exported[i].ifmap_w);
    EXPECT_EQ(built[i].filter_h, exported[i].filter_h);
    EXPECT_EQ(built[i].filter_w, exported[i].filter_w);
    EXPECT_EQ(built[i].channels, exported[i].channels);
    EXPECT_EQ(built[i].filters, exported[i].filters);
    EXPECT_EQ(built[i].stride_h, exported[i].stride_h);
    EXPECT_EQ(built[i].stride_w, exported[i].stride_w);
    EXPECT_EQ(built[i].groups, exported[i].groups);
  }
  EXPECT_EQ(built[1].groups, 16);  // the depthwise layer: 16 groups of one channel
  EXPECT_EQ(built[2].filter_h, 5);  // 3x3, dilation 2
  for (const char* df : {"ws", "os", "is"}) {
    expect_same_reports(built, exported, logs, msim::parse_config(kConfigs + "/eyeriss_" + std::string(df) + ".cfg"),
                        std::string("net_") + df);
  }
  // The single-layer fixture log (layer 0 of small.csv).
  const auto one = msim::read_hitlog_dir(kFixtures + "/hitlog");
  auto small = msim::parse_topology(kFixtures + "/small.csv");
  small.resize(1);
  msim::join_hitlogs(small, one, "small.csv");
  expect_same_reports(msim::layers_from_hitlogs(one, kFixtures + "/hitlog"), small, one,
                      msim::parse_config(kConfigs + "/eyeriss_ws.cfg"), "small");
}

TEST(HitLogTopology, ErrorsNameTheMissingIdOrColumn) {
  const std::string header = "N,C,S0,S1,hits,misses,out_channels,kernel_h,kernel_w,out_h,out_w,groups,stride_h,stride_w\n";
  const std::string row = "1,4,36,20,6,30,8,3,3,6,6,1,1,1\n";
  std::map<long long, msim::LayerHits> logs{{0, msim::parse_hitlog_text(header + row, "d/hitmap-000.csv")},
                                            {2, msim::parse_hitlog_text(header + row, "d/hitmap-002.csv")}};
  EXPECT_EQ(error_of([&] { msim::layers_from_hitlogs(logs, "d"); }),
            "d:0: layer id 1 has no hit log (hitlog-001.csv) but id 2 has: without -t the ids must be 0 .. L-1");
  logs.erase(2);
  const auto built = msim::layers_from_hitlogs(logs, "d");
  ASSERT_EQ(built.size(), 1u);
  EXPECT_EQ(built[0].name, "L000");
  EXPECT_EQ(built[0].ifmap_h, 8);
  const std::map<long long, msim::LayerHits> no_stride{
      {0, msim::parse_hitlog_text("N,C,S0,S1,hits,misses,out_channels,kernel_h,kernel_w,out_h,out_w,groups\n"
                                  "1,4,36,20,6,30,8,3,3,6,6,1\n", "d/hitmap-000.csv")}};
  EXPECT_EQ(error_of([&] { msim::layers_from_hitlogs(no_stride, "d"); }),
            "d/hitmap-000.csv:2: column 'stride_h' must be present and > 0 to build the layer without -t, got -1");
  const std::map<long long, msim::LayerHits> bad_groups{
      {0, msim::parse_hitlog_text(header + "1,4,36,20,6,30,8,3,3,6,6,3,1,1\n", "d/hitmap-000.csv")}};
  EXPECT_EQ(error_of([&] { msim::layers_from_hitlogs(bad_groups, "d"); }),
            "d/hitmap-000.csv:2: C (4) and out_channels (8) must be multiples of groups (3)");
}

}  // namespace
