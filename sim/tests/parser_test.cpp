// Malformed configs and topologies: a ParseError naming file and line, never a crash or a silent default.
#include "config.h"
#include "hitlog.h"
#include "parse_error.h"
#include "topology.h"

#include <gtest/gtest.h>

namespace {

const char* kGoodArch =
    "[architecture_presets]\nArrayHeight: 12\nArrayWidth: 14\nIfmapSramSzkB: 36\nFilterSramSzkB: 36\n"
    "OfmapSramSzkB: 36\nDataflow: ws\n";

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const msim::ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

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

TEST(TopologyParser, ReadsConvGemmAndGroups) {
  const auto conv = msim::parse_topology_text(
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
      "L000_a, 230, 230, 7, 7, 3, 64, 2,\nL001_b, 229, 229, 7, 7, 3, 64, 2,\n\nL002_dw/g32, 114, 114, 3, 3, 1, 1, 1,\n",
      "t.csv");
  ASSERT_EQ(conv.size(), 3u);
  EXPECT_EQ(conv[0].ofmap_px(), 113 * 113);  // SCALE-Sim's ceil((230 - 7 + 2) / 2): one more than PyTorch's 112
  EXPECT_EQ(conv[1].ofmap_px(), 112 * 112);  // why the topology export writes the 229 rows actually read
  EXPECT_EQ(conv[2].groups, 32);
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
  EXPECT_EQ(error_of([&] { msim::parse_topology_text(header + "a/g0, 8, 8, 3, 3, 1, 1, 1,\n", "g.csv"); }),
            "g.csv:2: group count in 'a/g0' must be in [1, 2147483648]");
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
            "bad.csv:2: hits (60) + misses (5) != S0 (64)");
  EXPECT_EQ(error_of([] { msim::parse_hitlog_text("N,C\n", "cols.csv"); }), "cols.csv:1: hit log header lacks column 'S0'");
  EXPECT_EQ(error_of([&] { msim::parse_hitlog_text(header + "1,3,8,8,64,20,4611686018427387904,4611686018427387904,0,"
                                                            "reuse,patch,\n", "ovf.csv"); }),
            "ovf.csv:2: hits (4611686018427387904) + misses (4611686018427387904) != S0 (64)");
  EXPECT_EQ(error_of([&] { msim::parse_hitlog_text(header + "1,3,8,8,64,65,60,4,0,reuse,patch,\n", "s1.csv"); }),
            "s1.csv:2: S1 (signature bits) must be <= 64, got 65");
  EXPECT_EQ(error_of([] { msim::read_hitlog_dir("/nonexistent-dir"); }), "/nonexistent-dir:0: cannot open hit log directory");
}

}  // namespace
