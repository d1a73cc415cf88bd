// SCALE-Sim v3's inputs (sim/README.md, "SCALE-Sim v3"): its config keys and sections, the topology's N:M column,
// the layout file; every bad value a ParseError naming file, line and the value.
#include "config.h"
#include "layout.h"
#include "parse_error.h"
#include "test_util.h"
#include "topology.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

namespace {

using msim_test::contains;
using msim_test::error_of;

// A v3 config: `arch` and `extra` lines appended to their sections (line numbers below count from here).
std::string v3_config(const std::string& dataflow, const std::string& interface, const std::string& layout,
                      const std::string& sparsity) {
  return "[general]\nrun_name = v3\n"                                                  // lines 1-2
         "[architecture_presets]\nArrayHeight: 12\nArrayWidth: 14\nIfmapSramSzkB: 36\n"  // 3-6
         "FilterSramSzkB: 36\nOfmapSramSzkB: 36\nIfmapOffset: 0\nFilterOffset: 10000000\n"  // 7-10
         "OfmapOffset: 20000000\nDataflow: " + dataflow + "\nBandwidth: 4\n"             // 11-13
         "ReadRequestBuffer: 32\nWriteRequestBuffer: 32\n"                               // 14-15
         "[run_presets]\nInterfaceBandwidth: " + interface + "\nUseRamulatorTrace: False\n"  // 16-18
         "[layout]\n" + layout + "[sparsity]\n" + sparsity;                              // 19-
}
const std::string kLayoutOff =
    "IfmapCustomLayout: False\nIfmapSRAMBankBandwidth: 8\nIfmapSRAMBankNum: 2\nIfmapSRAMBankPort: 1\n"   // 20-23
    "FilterCustomLayout: False\nFilterSRAMBankBandwidth: 6\nFilterSRAMBankNum: 3\nFilterSRAMBankPort: 2\n";  // 24-27
const std::string kSparsityOn =  // lines 29-33
    "SparsitySupport: true\nSparseRep: csc\nOptimizedMapping: false\nBlockSize: 4\nRandomNumberGeneratorSeed: 40\n";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  return text.replace(text.find(from), from.size(), to);
}

TEST(V3Config, ReadsEveryV3Key) {
  const msim::Config c = msim::parse_config_text(v3_config("ws", "USER", kLayoutOff, kSparsityOn), "v3.cfg");
  EXPECT_EQ(c.bandwidth, 4);         // Bandwidth: the ofmap's (write buffer)
  EXPECT_EQ(c.ifmap_bandwidth, 8);   // USER: the bank bandwidths feed the ifmap and filter buffers
  EXPECT_EQ(c.filter_bandwidth, 6);
  EXPECT_EQ(c.ifmap_banks.banks, 2);
  EXPECT_EQ(c.filter_banks.ports, 2);
  EXPECT_FALSE(c.ifmap_banks.custom_layout);
  EXPECT_TRUE(c.sparsity.on);
  EXPECT_EQ(c.sparsity.rep, msim::SparseRep::Csc);
  EXPECT_EQ(c.filter_offset, 10000000);
  // CALC: the bank bandwidths are not interfaces; a v2 file's USER buffers all take Bandwidth.
  const msim::Config calc = msim::parse_config_text(v3_config("ws", "CALC", kLayoutOff, "SparsitySupport: false\n"), "c.cfg");
  EXPECT_FALSE(calc.sparsity.on);
  const msim::Config v2 = msim::parse_config_text(
      "[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nIfmapSramSzkB: 1\nFilterSramSzkB: 1\nOfmapSramSzkB: 1\n"
      "Dataflow: os\nBandwidth: 3\n[run_presets]\nInterfaceBandwidth: USER\n", "v2.cfg");
  EXPECT_EQ(v2.ifmap_bandwidth, 3);
  EXPECT_EQ(v2.filter_bandwidth, 3);
}

TEST(V3Config, RefusalsNameFileLineAndValue) {
  const std::string good = v3_config("ws", "USER", kLayoutOff, kSparsityOn);
  auto error = [](const std::string& text) { return error_of([&] { msim::parse_config_text(text, "v3.cfg"); }); };
  EXPECT_TRUE(contains(error(replaced(good, "UseRamulatorTrace: False", "UseRamulatorTrace: True")),
                       "v3.cfg:18: UseRamulatorTrace: True (Ramulator DRAM latency traces) is not modeled"));
  EXPECT_TRUE(contains(error(replaced(good, "UseRamulatorTrace: False", "UseRamulatorTrace: true")),
                       "v3.cfg:18: UseRamulatorTrace must be True or False"));
  EXPECT_TRUE(contains(error(replaced(good, "ReadRequestBuffer: 32", "SRAM_row_size: 32")),
                       "v3.cfg:14: 'SRAM_row_size' is an Accelergy setting"));
  EXPECT_TRUE(contains(error(replaced(good, "Dataflow: ws", "Dataflow: os")),
                       "v3.cfg:29: SparsitySupport: true needs Dataflow ws"));
  EXPECT_TRUE(contains(error(replaced(good, "SparseRep: csc", "SparseRep: CSR")),
                       "v3.cfg:30: SparseRep must be csr, csc or ellpack_block (SCALE-Sim v3 crashes on any other), "
                       "got 'CSR'"));
  EXPECT_TRUE(contains(error(replaced(good, "SparsitySupport: true", "SparsitySupport: yes")),
                       "v3.cfg:29: sparsity.sparsitysupport must be true or false, got 'yes'"));
  const std::string optimized = replaced(good, "OptimizedMapping: false", "OptimizedMapping: true");
  EXPECT_TRUE(contains(error(replaced(optimized, "BlockSize: 4", "BlockSize: 13")),
                       "v3.cfg:32: BlockSize must be <= ArrayHeight (12; SCALE-Sim v3 asserts it), got 13"));
  EXPECT_TRUE(contains(error(replaced(optimized, "BlockSize: 4", "BlockSize: 5")),
                       "v3.cfg:32: BlockSize must be even and divide 2 x ArrayHeight (24) for v3's row-wise mapping, "
                       "got 5"));
  EXPECT_EQ(error(optimized), "(no error)");
  EXPECT_TRUE(contains(error(replaced(good, "FilterSRAMBankNum: 3", "FilterSRAMBankNum: 4")),
                       "v3.cfg:26: filter SRAM bank bandwidth 6 must be divisible by the number of banks, got 4"));
  EXPECT_TRUE(contains(error(replaced(good, "IfmapSRAMBankPort: 1\n", "")),
                       "missing key 'ifmapsrambankport' in [layout]"));
  const std::string custom = replaced(good, "IfmapCustomLayout: False", "IfmapCustomLayout: True");
  EXPECT_TRUE(contains(error(replaced(custom, "IfmapOffset: 0", "IfmapOffset: 5")),
                       "v3.cfg:20: IfmapCustomLayout needs IfmapOffset 0"));
  EXPECT_TRUE(contains(error(replaced(good, "IfmapCustomLayout: False", "IfmapCustomLayout: maybe")),
                       "v3.cfg:20: layout.ifmapcustomlayout must be a boolean"));
}

TEST(V3Topology, NmColumnBesideV2Strides) {
  const std::string header = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                             "Strides, Sparsity,\n";
  // 9th field with ':' = N:M; without = v2's width stride (then a 10th may be N:M); absent = 1:1.
  const auto l = msim::parse_topology_text(header + "a, 12, 12, 3, 3, 4, 8, 1, 2:4,\nb, 12, 12, 3, 3, 4, 8, 1, 2,\n"
                                                    "c, 12, 12, 3, 3, 4, 8, 1, 2, 1:3,\nd, 12, 12, 3, 3, 4, 8, 2,\n",
                                           "nm.csv");
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].nm_n, 2);
  EXPECT_EQ(l[0].nm_m, 4);
  EXPECT_EQ(l[0].stride_w, 1);
  EXPECT_EQ(l[1].stride_w, 2);
  EXPECT_FALSE(l[1].nm_from_row);
  EXPECT_EQ(l[2].stride_w, 2);
  EXPECT_EQ(l[2].nm_m, 3);
  EXPECT_EQ(l[3].nm_n, 1);
  EXPECT_EQ(l[3].nm_m, 1);
  const auto g = msim::parse_topology_text("Layer, M, N, K, Sparsity,\ng, 10, 20, 30, 1:2,\n", "g.csv");
  EXPECT_EQ(g[0].nm_m, 2);
  // The kept window: the first N of every M indices (a partial last block keeps up to N).
  msim::Layer k = l[0];  // K = 36
  k.nm_n = 3;
  k.nm_m = 8;  // 4 blocks of 8 keep 3 each, the last 4 indices keep 3
  EXPECT_EQ(k.kept_window(), 4 * 3 + 3);
  k.sparse = true;
  EXPECT_EQ(k.kept_index(3), 8);
  for (const char* bad : {"3:2", "1:0", "0:4", "a:4", "2:"}) {
    EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "a, 8, 8, 3, 3, 4, 8, 1, " + bad + ",\n", "b.csv"); })
                  .rfind("b.csv:2: N:M of layer 'a'", 0),
              0u)
        << bad;
  }
  EXPECT_TRUE(contains(error_of([&] { msim::parse_topology_text(header + "a, 8, 8, 3, 3, 4, 8, 1, 3:2,\n", "b.csv"); }),
                       "needs 1 <= N <= M"));
}

std::string write_layout(const std::string& name, const std::string& rows) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << "Layer name, 20 layout columns,\n" << rows;
  return path;
}

TEST(V3Layout, RowsCheckedAsV3AssertsThem) {
  msim::Config c = msim::parse_config_text(
      replaced(replaced(v3_config("ws", "USER", kLayoutOff, "SparsitySupport: false\n"), "IfmapCustomLayout: False",
                        "IfmapCustomLayout: True"),
               "FilterCustomLayout: False", "FilterCustomLayout: True"),
      "l.cfg");
  auto layers = msim::parse_topology_text("Layer name, H,\na, 9, 7, 3, 3, 5, 4, 1,\nb, 6, 6, 1, 1, 4, 3, 1,\n", "t.csv");
  const std::string ok = "a, 2, 2, 1, 3, 2, 1,  0, 1, 2,  4, 5, 3,  3, 2, 1, 0,  4, 5, 6, 7,\n";
  auto error = [&](const std::string& rows) {
    return error_of([&] { msim::attach_layouts(write_layout("bad_layout.csv", rows), layers, c); });
  };
  EXPECT_TRUE(contains(error(ok), "bad_layout.csv:2: the layout file has 1 rows, the topology needs 2"));
  EXPECT_TRUE(contains(error(ok + "b, 2, 2, 1, 3, 2, 1,  0, 1, 1,  4, 5, 3,  3, 2, 1, 0,  4, 5, 6, 7,\n"),
                       "bad_layout.csv:3: ifmap interline and intraline orders must be a permutation of 0..5, got "
                       "4 x 5 x 3 x 0 x 1 x 1"));
  EXPECT_TRUE(contains(error(ok + "b, 0, 2, 1, 3, 2, 1,  0, 1, 2,  4, 5, 3,  3, 2, 1, 0,  4, 5, 6, 7,\n"),
                       "bad_layout.csv:3: ifmap intraline factors must be in [1, 2^20], got 0 x 2 x 2"));
  EXPECT_TRUE(contains(error(ok + "b, 4, 2, 1, 3, 2, 1,  0, 1, 2,  4, 5, 3,  3, 2, 1, 0,  4, 5, 6, 7,\n"),
                       "bad_layout.csv:3: ifmap intraline factors 4 x 2 x 2 = 16 must be <= the SRAM bank bandwidth"));
  EXPECT_TRUE(contains(error(ok + "b, 2, 2, 1, 1, 2, 1,  0, 1, 2,  4, 5, 3,  3, 2, 1, 0,  4, 5, 6, 7,\n"),
                       "bad_layout.csv:3: filter intraline factors 1 x 2 x 1 x 1 = 2 must equal the SRAM bank "
                       "bandwidth"));
  EXPECT_TRUE(contains(error(ok + "b, 2, 2\n"),
                       "bad_layout.csv:3: a layout row needs a name and 20 integers, got 2 fields "
                       "(end rows with ',')"));
  // Accepted: each layer its row; --compat v3 the first row for all (v3's getters take no layer id).
  msim::attach_layouts(write_layout("good_layout.csv", ok + ok), layers, c);
  EXPECT_NE(layers[0].layout, layers[1].layout);
  c.compat = msim::Compat::V3;
  msim::attach_layouts(write_layout("good_layout.csv", ok), layers, c);
  EXPECT_EQ(layers[0].layout, layers[1].layout);
  // The layout's order holds every address of the operand once, padding (-1) where factors overhang.
  for (msim::Operand operand : {msim::Operand::Ifmap, msim::Operand::Filter}) {
    std::vector<int64_t> order = msim::layout_order(layers[0], operand);
    order.erase(std::remove(order.begin(), order.end(), -1), order.end());
    std::sort(order.begin(), order.end());
    const long long words = operand == msim::Operand::Ifmap ? 9 * 7 * 5 : 3 * 3 * 5 * 4;
    ASSERT_EQ(static_cast<long long>(order.size()), words);
    for (long long i = 0; i < words; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  }
}

}  // namespace
