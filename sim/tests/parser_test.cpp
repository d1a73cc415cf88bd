// Malformed configs and topologies: a ParseError naming file and line, never a crash or a silent default.
#include "config.h"
#include "hitlog.h"
#include "parse_error.h"
#include "test_util.h"
#include "topology.h"

#include <gtest/gtest.h>

namespace {

const char* kGoodArch =
    "[architecture_presets]\nArrayHeight: 12\nArrayWidth: 14\nIfmapSramSzkB: 36\nFilterSramSzkB: 36\n"
    "OfmapSramSzkB: 36\nDataflow: ws\n";

using msim_test::error_of;

TEST(ConfigParser, ReadsScaleSimKeys) {
  const auto c = msim::parse_config_text(std::string("[general]\nrun_name = x\n") + kGoodArch +
                                             "Bandwidth : 5\n[run_presets]\nInterfaceBandwidth: USER\n"
                                             "[mercury]\nSignatureUnitMacs: 64\nLookupCyclesPerVector: 0.5\n",
                                         "a.cfg");
  EXPECT_EQ(c.array_height, 12);
  EXPECT_EQ(c.array_width, 14);
  EXPECT_EQ(c.bandwidth, 5);
  EXPECT_FALSE(c.bandwidth_calc);
  EXPECT_EQ(c.mercury.signature_unit_macs, 64);
  EXPECT_DOUBLE_EQ(c.mercury.lookup_cycles_per_vector, 0.5);
}

TEST(ConfigParser, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of([] { msim::parse_config_text("", "empty.cfg"); }), "empty.cfg:0: empty config file");
  EXPECT_NE(error_of([] { msim::parse_config_text("[architecture_presets]\nArrayHeight: 12\n", "m.cfg"); })
                .find("m.cfg:2: missing key 'arraywidth'"),
            std::string::npos);
  std::string zero = kGoodArch;
  zero.replace(zero.find("ArrayHeight: 12"), 15, "ArrayHeight: 0");
  EXPECT_EQ(error_of([&] { msim::parse_config_text(zero, "z.cfg"); }),
            "z.cfg:2: architecture_presets.arrayheight must be > 0, got 0");
  std::string text = kGoodArch;
  text.replace(text.find("ArrayWidth: 14"), 14, "ArrayWidth: wide");
  EXPECT_EQ(error_of([&] { msim::parse_config_text(text, "n.cfg"); }),
            "n.cfg:3: architecture_presets.arraywidth must be an integer, got 'wide'");
  std::string flow = kGoodArch;
  flow.replace(flow.find("Dataflow: ws"), 12, "Dataflow: xy");
  EXPECT_EQ(error_of([&] { msim::parse_config_text(flow, "d.cfg"); }), "d.cfg:7: Dataflow must be ws, os or is, got 'xy'");
  EXPECT_EQ(error_of([] { msim::parse_config_text("[bogus]\n", "s.cfg"); }), "s.cfg:1: unknown section [bogus]");
  EXPECT_EQ(error_of([] { msim::parse_config_text("ArrayHeight: 3\n", "k.cfg"); }), "k.cfg:1: key outside of a [section]");
  EXPECT_EQ(error_of([] { msim::parse_config("/nonexistent.cfg"); }), "/nonexistent.cfg:0: cannot open config file");
  std::string nan = std::string(kGoodArch) + "[mercury]\nLookupCyclesPerVector: nan\n";
  EXPECT_EQ(error_of([&] { msim::parse_config_text(nan, "nan.cfg"); }), "nan.cfg:9: LookupCyclesPerVector must be in [0, 1e6]");
  std::string huge = kGoodArch;
  huge.replace(huge.find("ArrayWidth: 14"), 14, "ArrayWidth: 99999999");
  EXPECT_EQ(error_of([&] { msim::parse_config_text(huge, "h.cfg"); }),
            "h.cfg:3: architecture_presets.arraywidth must be <= 65536, got 99999999");
}

TEST(TopologyParser, ReadsConvAndGemm) {
  const auto conv = msim::parse_topology_text(
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
      "L000_a, 230, 230, 7, 7, 3, 64, 2,\nL001_b, 229, 229, 7, 7, 3, 64, 2,\n\nL002_dw/g32, 114, 114, 3, 3, 1, 1, 1,\n",
      "t.csv");
  ASSERT_EQ(conv.size(), 3u);
  EXPECT_EQ(conv[0].ofmap_px(), 113 * 113);  // SCALE-Sim's ceil((230 - 7 + 2) / 2): one more than PyTorch's 112
  EXPECT_EQ(conv[1].ofmap_px(), 112 * 112);  // why the topology export writes the 229 rows actually read
  EXPECT_EQ(conv[2].groups, 1);              // "/g32" is part of the name only, as in SCALE-Sim
  const auto gemm = msim::parse_topology_text("Layer Name, M, N, K,\ng0, 64, 32, 128,\n", "g.csv");
  EXPECT_EQ(gemm[0].ofmap_px(), 64);
  EXPECT_EQ(gemm[0].window(), 128);
  EXPECT_EQ(gemm[0].filters, 32);
}

TEST(TopologyParser, ErrorsNameFileAndLine) {
  const std::string header = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
  EXPECT_EQ(error_of([] { msim::parse_topology_text("", "e.csv"); }), "e.csv:0: empty topology file");
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header, "h.csv"); }), "h.csv:1: no layers after the header");
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "a, -3, 8, 3, 3, 1, 1, 1,\n", "n.csv"); }),
            "n.csv:2: IFMAP Height of layer 'a' must be > 0, got -3");
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "a, 8, 8, 3, x, 1, 1, 1,\n", "x.csv"); }),
            "x.csv:2: Filter Width of layer 'a' must be an integer, got 'x'");
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "a, 4, 4, 5, 3, 1, 1, 1,\n", "f.csv"); }),
            "f.csv:2: filter 5x3 of layer 'a' is larger than its ifmap 4x4");
  EXPECT_NE(error_of([&] { msim::parse_topology_text(header + "a, 4, 4\n", "s.csv"); }).find("s.csv:2: a conv row needs 8"),
            std::string::npos);
  // Sizes whose products would leave 64 bits are refused, not wrapped.
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "a, 4, 99999999999, 3, 3, 1, 1, 1,\n", "big.csv"); }),
            "big.csv:2: IFMAP Width of layer 'a' must be <= 2147483648, got 99999999999");
  EXPECT_NE(error_of([&] { msim::parse_topology_text(header + "a, 2000000, 2000000, 3, 3, 64, 64, 1,\n", "huge.csv"); })
                .find("huge.csv:2: layer 'a' is too large"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "a, 8, 8, 3, 3, 1, 1, 1, 1, 1,\n", "x.csv"); }),
            "x.csv:2: a conv row needs 8 or 9 fields (name, IFMAP H, W, filter H, W, channels, filters, stride "
            "height[, stride width]); got 10 (extra columns are not supported)");
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "a, 8, 8, 3, 3, 1, 1, 1\n", "c.csv"); }),
            "c.csv:2: a conv row needs 8 or 9 fields (name, IFMAP H, W, filter H, W, channels, filters, stride "
            "height[, stride width]); got 7 (SCALE-Sim drops the field after the last comma: end rows with ',')");
  EXPECT_EQ(error_of([] { msim::parse_topology_text("Layer Name, M, N, K,\ng, 4, 4, 4, 4,\n", "g.csv"); }),
            "g.csv:2: a GEMM row needs name, M, N, K; got 5 fields (extra columns are not supported)");
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "a, 8, 8, 3, 3, 1, 1, 0, 1,\n", "s.csv"); }),
            "s.csv:2: Stride height of layer 'a' must be > 0, got 0");
}

// SCALE-Sim's topology forms: a ninth column (stride width), the field after the last comma dropped, DP rows.
TEST(TopologyParser, ScaleSimForms) {
  const std::string header = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                             "Stride height, Stride width,\n";
  const auto l = msim::parse_topology_text(header + "a, 12, 15, 3, 3, 4, 8, 1, 2,\nb, 10, 12, 2, 3, 5, 7, 2,\n"
                                                    "c, 11, 10, 3, 2, 4, 6, 3, 2\n", "s.csv");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].stride_h, 1);
  EXPECT_EQ(l[0].stride_w, 2);
  EXPECT_EQ(l[0].ofmap_h(), 10);
  EXPECT_EQ(l[0].ofmap_w(), 7);   // ceil((15 - 3 + 2) / 2)
  EXPECT_EQ(l[1].stride_w, 2);    // 8 columns: the height stride for both axes
  EXPECT_EQ(l[2].stride_w, 3);    // no trailing comma: SCALE-Sim drops the last field (2), then repeats 3
  // A name containing "DP": one single-channel layer per input channel, each with the row's filters.
  const auto dp = msim::parse_topology_text(header + "x, 8, 8, 3, 3, 2, 4, 1,\nblockDP, 8, 8, 3, 3, 3, 2, 2,\n", "d.csv");
  ASSERT_EQ(dp.size(), 4u);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(dp[i].name, "blockDPChannel_" + std::to_string(i - 1));
    EXPECT_EQ(dp[i].channels, 1);
    EXPECT_EQ(dp[i].filters, 2);
    EXPECT_EQ(dp[i].row, 1);
    EXPECT_EQ(dp[i].line, 3);
  }
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "DP, 8, 8, 3, 3, 2000000, 1, 1,\n", "big.csv"); }),
            "big.csv:2: more than 1048576 layers (after one layer per channel of the depthwise rows) are not supported");
}

// SCALE-Sim's config forms: Bandwidth lists, Bandwidth unread with CALC, [network_presets], saved configs; and the
// configparser forms that are refused rather than ignored.
TEST(ConfigParser, ScaleSimForms) {
  auto parse = [](const std::string& extra) { return msim::parse_config_text(kGoodArch + extra, "b.cfg"); };
  const std::string user = "[run_presets]\nInterfaceBandwidth: USER\n";
  EXPECT_EQ(parse("Bandwidth : 7,3\n" + user).bandwidth, 7);  // the first value, as SCALE-Sim
  EXPECT_EQ(error_of([&] { parse("Bandwidth : 7,x\n" + user); }),
            "b.cfg:8: architecture_presets.bandwidth value 2 must be an integer, got 'x'");
  EXPECT_EQ(error_of([&] { parse(user); }), "b.cfg:9: missing key 'bandwidth' in [architecture_presets]");
  EXPECT_TRUE(parse("Bandwidth =\n").bandwidth_calc);  // CALC: SCALE-Sim never reads Bandwidth
  EXPECT_EQ(parse("TopologyCsvLoc = \"t.csv\"\n[network_presets]\nTopologyCsvLoc = \"t.csv\"\n").topology_path, "t.csv");
  EXPECT_EQ(parse("[network_presets]\nTopologyCsvLoc = \"/x/y.csv\"\n").topology_path, "/x/y.csv");
  EXPECT_EQ(parse("").topology_path, "");
  EXPECT_EQ(error_of([&] { parse("TopologyCsvLoc = \"t.csv\"\n"); }),
            "b.cfg:8: TopologyCsvLoc in [architecture_presets] without a [network_presets] section is not supported "
            "(SCALE-Sim ignores it)");
  EXPECT_EQ(error_of([&] { parse("[network_presets]\nTopologyCsvLoc = t.csv\n"); }),
            "b.cfg:9: TopologyCsvLoc must be a path in double quotes, got 't.csv'");
  // What SCALE-Sim's write_conf_file saves: lower-case keys, an empty Bandwidth, no [run_presets].
  const auto saved = msim::parse_config_text(
      "[general]\nrun_name = r\n\n[architecture_presets]\narrayheight = 12\narraywidth = 14\nifmapsramszkb = 36\n"
      "filtersramszkb = 36\nofmapsramszkb = 36\nifmapoffset = 0\nfilteroffset = 10000000\nofmapoffset = 20000000\n"
      "dataflow = os\nbandwidth = \n\n[network_presets]\ntopologycsvloc = \"net.csv\"\n\n", "saved.cfg");
  EXPECT_EQ(saved.dataflow, msim::Dataflow::OS);
  EXPECT_TRUE(saved.bandwidth_calc);
  EXPECT_EQ(saved.topology_path, "net.csv");
  // Refused: what configparser would reject or SCALE-Sim would misread.
  EXPECT_EQ(error_of([&] { parse("ArrayHeight: 12\n"); }), "b.cfg:8: duplicate key 'arrayheight' in [architecture_presets]");
  EXPECT_EQ(error_of([&] { parse("[architecture_presets]\n"); }), "b.cfg:8: duplicate section [architecture_presets]");
  EXPECT_EQ(error_of([&] { parse("Sparsity: true\n"); }),
            "b.cfg:8: unknown key 'Sparsity' in [architecture_presets] (not supported)");
  EXPECT_EQ(error_of([&] { parse("[DEFAULT]\nx = 1\n"); }), "b.cfg:8: the [DEFAULT] section is not supported");
  EXPECT_EQ(error_of([&] { parse("Bandwidth: 4,\n   3\n"); }),
            "b.cfg:9: continuation lines (multi-line values) are not supported");
  EXPECT_EQ(error_of([] { msim::parse_config_text("[general]\nrun_name = a%b\n", "p.cfg"); }),
            "p.cfg:2: '%' in a value (configparser interpolation) is not supported");
  EXPECT_EQ(error_of([&] { parse("IfmapOffset: -1\n"); }),
            "b.cfg:8: negative offsets are not supported (architecture_presets.ifmapoffset)");
  EXPECT_NO_THROW(parse("MemoryBanks: 0\n"));  // SCALE-Sim v2 does not read it
}

TEST(HitLogParser, SumsCallsAndRejectsInconsistentRows) {
  const std::string header = "N,C,H,W,S0,S1,hits,misses,call,mode,vector,hitmap\n";
  const auto h = msim::parse_hitlog_text(header + "1,3,8,8,64,20,60,4,0,reuse,patch,\n1,3,8,8,64,24,30,34,1,reuse,patch,\n",
                                         "hitmap-000.csv");
  EXPECT_EQ(h.calls, 2);
  EXPECT_EQ(h.vectors, 128);
  EXPECT_EQ(h.hits, 90);
  EXPECT_EQ(h.sig_bits, 24);
  EXPECT_EQ(error_of([&] { msim::parse_hitlog_text(header + "1,3,8,8,64,20,60,5,0,reuse,patch,\n", "bad.csv"); }),
            "bad.csv:2: hits (60) + misses (5) != vectors (64)");
  EXPECT_EQ(error_of([] { msim::parse_hitlog_text("N,C\n", "cols.csv"); }), "cols.csv:1: hit log header lacks column 'vectors'");
  EXPECT_EQ(error_of([&] { msim::parse_hitlog_text(header + "1,3,8,8,64,20,4611686018427387904,4611686018427387904,0,"
                                                            "reuse,patch,\n", "ovf.csv"); }),
            "ovf.csv:2: hits (4611686018427387904) + misses (4611686018427387904) != vectors (64)");
  EXPECT_EQ(error_of([&] { msim::parse_hitlog_text(header + "1,3,8,8,64,65,60,4,0,reuse,patch,\n", "s1.csv"); }),
            "s1.csv:2: sig_bits (signature bits) must be <= 64, got 65");
  EXPECT_EQ(error_of([] { msim::read_hitlog_dir("/nonexistent-dir"); }), "/nonexistent-dir:0: cannot open hit log directory");
}

}  // namespace
