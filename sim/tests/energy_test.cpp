// The energy model (energy.h): one small layer's energy by hand from its access counts (DETAILED_ACCESS_REPORT.csv)
// and the table, per dataflow; zero hits cost the baseline plus the signature, lookup and fill terms; the MCACHE's
// size; the table's parser and every refusal with file:line; the training step's GEMMs.
#include "energy.h"
#include "energy_report.h"
#include "energy_table.h"
#include "report.h"
#include "simulate.h"
#include "test_util.h"
#include "topology.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

namespace {

// One point per access kind: every SRAM in [1, 1024] kB costs 8 pJ per 16-bit read and 12 pJ per write.
const char* kTable =
    "defaults = none\nword_bits = 16\npsum_bits = 32\nmac = 1.0\nrf_access = 0.25\nadd = 0.5\nsignature_mac = 2.0\n"
    "dram_word = 100\nmcache_compare_bit = 0.01\nsram_ref_bits = 16\nsram_read_64kb = 8\nsram_write_64kb = 12\n"
    "sram_min_kb = 1\nsram_max_kb = 1024\n";
constexpr double kMac = 1.0 + 3 * 0.25, kRead = 8, kWrite = 12, kDram = 100;

msim::EnergyTable table() { return msim::parse_energy_text(kTable, "test.cfg", msim::default_energy_table()); }

msim::Layer layer() {  // 10x10 ifmap, 3x3 filter, 2 channels, 8 filters: 64 pixels, K = 18
  return msim::parse_topology_text("name,H,W,FH,FW,C,N,S\nl,10,10,3,3,2,8,1,\n", "inline.csv")[0];
}

msim::LayerHits hits(long long h, long long vectors, const char* kind = "patch") {
  msim::LayerHits x;
  x.calls = 1;
  x.vectors = vectors;
  x.hits = h;
  x.misses = vectors - h;
  x.sig_bits = 6;
  x.vector_kind = kind;
  return x;
}

// A CSV file as header -> cell, one map per row.
std::vector<std::map<std::string, std::string>> read_rows(const std::string& path) {
  std::vector<std::map<std::string, std::string>> rows;
  std::istringstream in(msim_test::read_text(path));
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = msim::split_csv_row(line);
  while (std::getline(in, line)) {
    const std::vector<std::string> cells = msim::split_csv_row(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(row);
  }
  return rows;
}

TEST(Energy, OneLayerByHandFromItsAccessCounts) {
  for (const char* df : {"ws", "os", "is"}) {
    SCOPED_TRACE(df);
    const msim::Config c = msim_test::array_config(df, 4, 4, 64);
    const std::vector<msim::Layer> layers = {layer()};
    const msim::EnergyModel m = msim::prepare_energy(table(), c, layers, nullptr);
    const auto results = msim::simulate(layers, c, nullptr);
    const auto energy = msim::energy_layers(results, m, c);
    const std::string dir = ::testing::TempDir() + "/energy_hand_" + df;
    std::filesystem::create_directories(dir);
    msim::write_reports(results, c, false, dir, &energy);
    // SCALE-Sim's DETAILED_ACCESS_REPORT columns: SRAM reads / writes at 3, 6, 9; DRAM at 12, 15, 18.
    const auto access = msim_test::read_report(dir + "/DETAILED_ACCESS_REPORT.csv")[0];
    const double ifmap_sram = access[3], filter_sram = access[6], ofmap_sram = access[9];
    const double ifmap_dram = access[12], filter_dram = access[15], ofmap_dram = access[18];
    const double macs = 64.0 * 18 * 8;
    const double compute = macs * kMac;
    const double ifmap = ifmap_sram * kRead + ifmap_dram * kWrite;  // a DRAM read fills its buffer
    const double filter = filter_sram * kRead + filter_dram * kWrite;
    const double ofmap = ofmap_sram * kWrite + ofmap_dram * kRead;  // a DRAM write drains the ofmap buffer
    const double dram = (ifmap_dram + filter_dram + ofmap_dram) * kDram;
    const auto row = read_rows(dir + "/ENERGY_REPORT.csv").at(0);
    EXPECT_NEAR(std::stod(row.at("BaselineComputeUJ")), compute * 1e-6, 1e-12);
    EXPECT_NEAR(std::stod(row.at("BaselineIfmapSramUJ")), ifmap * 1e-6, 1e-12);
    EXPECT_NEAR(std::stod(row.at("BaselineFilterSramUJ")), filter * 1e-6, 1e-12);
    EXPECT_NEAR(std::stod(row.at("BaselineOfmapSramUJ")), ofmap * 1e-6, 1e-12);
    EXPECT_NEAR(std::stod(row.at("BaselineDramUJ")), dram * 1e-6, 1e-12);
    EXPECT_NEAR(std::stod(row.at("BaselineTotalUJ")), (compute + ifmap + filter + ofmap + dram) * 1e-6, 1e-9);
    EXPECT_EQ(row.at("HitLog"), "no hitlog");  // without -m MERCURY is the baseline
    EXPECT_EQ(row.at("MercuryTotalUJ"), row.at("BaselineTotalUJ"));
    EXPECT_GT(ifmap_dram, 0);
  }
}

TEST(Energy, ZeroHitsCostBaselinePlusSignatureLookupAndFill) {
  for (const char* kind : {"patch", "channel"}) {
    for (const char* df : {"ws", "os", "is"}) {
      SCOPED_TRACE(std::string(df) + " " + kind);
      const msim::Config c = msim_test::array_config(df, 4, 4, 64);
      const std::vector<msim::Layer> layers = {layer()};
      const bool channel = std::string(kind) == "channel";
      const std::map<long long, msim::LayerHits> logs = {{0, hits(0, channel ? 128 : 64, kind)}};
      const msim::EnergyModel m = msim::prepare_energy(table(), c, layers, &logs);
      const auto r = msim::simulate(layers, c, &logs).at(0);
      const msim::LayerEnergy e = msim::energy_layer(r, 0, m, c);
      EXPECT_EQ(e.mercury.compute, e.baseline.compute);
      EXPECT_EQ(e.mercury.ifmap, e.baseline.ifmap);
      EXPECT_EQ(e.mercury.filter, e.baseline.filter);
      EXPECT_EQ(e.mercury.ofmap, e.baseline.ofmap);
      EXPECT_EQ(e.mercury.dram, e.baseline.dram);
      EXPECT_NEAR(e.mercury.total(), e.baseline.total() + e.mercury.signature + e.mercury.lookup + e.mercury.fill,
                  1e-9 * e.mercury.total());
      // By hand: 1024 entries, fully associative: 1024 ways, LRU rank 10 bits, tag = the 6 signature bits, 8
      // results of 16 bits (patch) or 32 (channel partial sums). Every vector probes all 1024 tag parts and
      // compares 1024 x 6 bits; every one misses and fills its entry.
      const double vectors = channel ? 128 : 64, tag_part = 1 + 6 + 10, entry = tag_part + 8 * (channel ? 32 : 16);
      EXPECT_DOUBLE_EQ(e.mcache_bytes, 1024 * entry / 8);
      EXPECT_NEAR(e.mercury.lookup, vectors * (kRead * 1024 * tag_part / 16 + 1024 * 6 * 0.01), 1e-6);
      EXPECT_NEAR(e.mercury.fill, vectors * kWrite * entry / 16, 1e-6);
      // Signatures on the array: the overlay's GEMM (vectors x vector length x 6 bits) with its SRAM traffic.
      const auto s = msim::compute_mapping(msim::map_layer(static_cast<long long>(vectors), channel ? 9 : 18, 6, c.dataflow), c);
      EXPECT_EQ(s.macs, 64 * 18 * 6);
      EXPECT_NEAR(e.mercury.signature, s.macs * (2.0 + 0.75) + s.ifmap_sram_reads * kRead + s.filter_sram_reads * kRead +
                                            s.ofmap_sram_writes * kWrite, 1e-6);
    }
  }
}

TEST(Energy, HitsRemoveTheirMacsAndOperandReads) {
  const msim::Config c = msim_test::array_config("ws", 4, 4, 64);
  const std::vector<msim::Layer> layers = {layer()};
  const std::map<long long, msim::LayerHits> logs = {{0, hits(60, 64)}};
  const msim::EnergyModel m = msim::prepare_energy(table(), c, layers, &logs);
  const auto r = msim::simulate(layers, c, &logs).at(0);
  const msim::LayerEnergy e = msim::energy_layer(r, 0, m, c);
  // P' = 4 rows streamed: ws reads col folds x 4 x 18 ifmap words; 60 hits write their 8 outputs into the ofmap
  // buffer and read them from the MCACHE.
  const auto streamed = msim::compute_mapping(msim::map_layer(4, 18, 8, c.dataflow), c);
  EXPECT_DOUBLE_EQ(e.mercury.compute, 4.0 * 18 * 8 * kMac);
  EXPECT_DOUBLE_EQ(e.mercury.ifmap, streamed.ifmap_sram_reads * kRead + r.memory.ifmap_dram_reads * kWrite);
  EXPECT_DOUBLE_EQ(e.mercury.ofmap, (streamed.ofmap_sram_writes + 60 * 8) * kWrite + r.memory.ofmap_dram_writes * kRead);
  EXPECT_EQ(e.mercury.dram, e.baseline.dram);  // every vector still reaches the chip for its signature
  const double tag_part = 17, entry = 17 + 128;
  EXPECT_NEAR(e.mercury.lookup, 64 * (kRead * 1024 * tag_part / 16 + 1024 * 6 * 0.01) + 60 * kRead * 128 / 16, 1e-6);
  EXPECT_NEAR(e.mercury.fill, 4 * kWrite * entry / 16, 1e-6);
  EXPECT_LT(e.mercury.compute + e.mercury.ifmap, e.baseline.compute + e.baseline.ifmap);
}

TEST(Energy, McacheGeometryFromTheConfig) {
  msim::Config c = msim::parse_config_text(
      "[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\n"
      "OfmapSramSzkB: 64\nDataflow: ws\n[mercury]\nCacheEntries: 256\nCacheWays: 4\n", "geometry.cfg");
  const auto g = msim::mcache_geometry(layer(), hits(0, 64), c.mercury, 16, 32);
  EXPECT_EQ(g.ways, 4);
  EXPECT_EQ(g.lru_bits, 2);
  EXPECT_EQ(g.entry_bits(), 1 + 6 + 2 + 8 * 16);
  EXPECT_DOUBLE_EQ(g.bytes(), 256.0 * (1 + 6 + 2 + 128) / 8);
  EXPECT_EQ(msim_test::error_of([] {
              msim::parse_config_text("[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nIfmapSramSzkB: 64\n"
                                      "FilterSramSzkB: 64\nOfmapSramSzkB: 64\nDataflow: ws\n[mercury]\n"
                                      "CacheEntries: 10\nCacheWays: 4\n", "ways.cfg");
            }),
            "ways.cfg:10: CacheWays must be 0 (fully associative) or divide CacheEntries (10), got 4");
}

TEST(EnergyTable, DefaultsAreTheShippedFileAndInterpolateLogLog) {
  msim::EnergyTable empty;
  const auto file = msim::parse_energy_text(msim_test::read_text(MSIM_DEFAULT_ENERGY), "f.cfg", empty);
  const auto& builtin = msim::default_energy_table();
  ASSERT_EQ(file.entries.size(), builtin.entries.size());
  for (const auto& [name, e] : file.entries) EXPECT_EQ(builtin.entries.at(name).value, e.value) << name;
  // Horowitz's 64-bit points: 8 kB 10 pJ, 32 kB 20 pJ, 1 MB 100 pJ; halfway (log) between: the geometric mean.
  EXPECT_NEAR(builtin.sram(16, 64, false, "x"), 10 * std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(builtin.sram(32, 16, true, "x"), 5, 1e-12);  // a 16-bit word: a quarter of 64 bits
  EXPECT_NEAR(builtin.sram(2, 64, false, "x"), 5, 1e-9);   // below 8 kB: the 8 -> 32 kB slope (x2 per x4)
  EXPECT_NEAR(builtin.sram(32768, 64, false, "x"), 100 * 5, 1e-6);  // above 1 MB: the 32 kB -> 1 MB slope
}

TEST(EnergyTable, UserFileOverridesEntries) {
  const auto t = msim::parse_energy_text("# mine\nmac = 0.2   # 8-bit MAC\n", "mine.cfg", msim::default_energy_table());
  EXPECT_EQ(t.entries.at("mac").value, 0.2);
  EXPECT_EQ(t.entries.at("mac").file, "mine.cfg");
  EXPECT_EQ(t.entries.at("mac").line, 2);
  EXPECT_EQ(t.entries.at("dram_word").value, 325);
}

std::string table_error(const std::string& text) {
  return msim_test::error_of([&] { msim::parse_energy_text(text, "e.cfg", msim::default_energy_table()); });
}

TEST(EnergyTable, RefusalsNameFileAndLine) {
  EXPECT_EQ(table_error("mac = 1\ndram_word = -3\n"),
            "e.cfg:2: energy component 'dram_word' must be a finite number >= 0, got '-3'");
  EXPECT_EQ(table_error("mac = inf\n"), "e.cfg:1: energy component 'mac' must be a finite number >= 0, got 'inf'");
  EXPECT_EQ(table_error("\nmac = nan\n"), "e.cfg:2: energy component 'mac' must be a finite number >= 0, got 'nan'");
  EXPECT_EQ(table_error("mac_energy = 1\n"), "e.cfg:1: unknown energy component 'mac_energy'");
  EXPECT_EQ(table_error("sram_read_0kb = 1\n"), "e.cfg:1: unknown energy component 'sram_read_0kb'");
  EXPECT_EQ(table_error("mac =\n"), "e.cfg:1: energy component 'mac' has no value");
  EXPECT_EQ(table_error("mac = 1\nmac = 2\n"), "e.cfg:2: duplicate energy component 'mac'");
  EXPECT_EQ(table_error("mac 1\n"), "e.cfg:1: expected 'component = value', got 'mac 1'");
  EXPECT_EQ(table_error("word_bits = 15.5\n"),
            "e.cfg:1: 'word_bits' must be an integer number of bits in [1, 4096], got '15.5'");
  EXPECT_EQ(table_error("sram_read_8kb = 0\n"), "e.cfg:1: 'sram_read_8kb' must be > 0, got '0'");
  EXPECT_EQ(table_error("mac = 1\ndefaults = none\n"), "e.cfg:2: 'defaults = none' must be the first entry");
  EXPECT_EQ(table_error("# nothing\n"), "e.cfg:0: empty energy table");
  EXPECT_EQ(table_error("defaults = builtin\n"), "e.cfg:1: 'defaults' can only be 'none', got 'builtin'");
  EXPECT_NE(table_error("mac = 1x\n").find("e.cfg:1: "), std::string::npos);
}

TEST(EnergyTable, SramOutsideTheRangeAndMissingComponentsAreRefusedBeforeAnyWork) {
  const std::vector<msim::Layer> layers = {layer()};
  const msim::Config small = msim_test::array_config("ws", 4, 4, 1);
  auto prepare = [&](const std::string& text, const msim::Config& c, const std::map<long long, msim::LayerHits>* logs) {
    return msim_test::error_of([&] {
      msim::prepare_energy(msim::parse_energy_text(text, "u.cfg", msim::default_energy_table()), c, layers, logs);
    });
  };
  EXPECT_EQ(prepare("sram_min_kb = 2\n", small, nullptr),
            "u.cfg:1: the ifmap SRAM (IfmapSramSzkB) (1 kB) is below the energy table's SRAM range (sram_min_kb = 2 "
            "kB; sizes beyond the points scale with the end segment's slope only inside sram_min_kb..sram_max_kb)");
  // Without range keys the points are the range: the smallest read point's line.
  const std::string points = "defaults = none\nword_bits = 16\nmac = 1\nrf_access = 0\ndram_word = 1\n"
                             "sram_ref_bits = 64\nsram_read_8kb = 10\nsram_read_32kb = 20\nsram_write_8kb = 10\n"
                             "sram_write_32kb = 20\n";
  EXPECT_EQ(prepare(points, small, nullptr).rfind("u.cfg:7: the ifmap SRAM (IfmapSramSzkB) (1 kB) is below the", 0), 0u);
  const msim::Config c = msim_test::array_config("ws", 4, 4, 16);
  EXPECT_EQ(prepare(points, c, nullptr), "(no error)");
  const std::map<long long, msim::LayerHits> logs = {{0, hits(0, 64)}};
  EXPECT_EQ(prepare(points, c, &logs), "u.cfg:1: the energy table has no 'signature_mac' (needed by MERCURY's "
                                       "signatures (-m))");
  msim::Config training = c;
  training.training = true;
  EXPECT_EQ(prepare(points + "signature_mac = 1\nmcache_compare_bit = 0\n", training, &logs),
            "u.cfg:1: the energy table has no 'add' (needed by --training's gradient summation)");
  // A layer's MCACHE beyond the range: 1024 entries x (17 + 8 x 16 bits) = 18.1 kB > the 16 kB sram_max_kb.
  EXPECT_EQ(prepare("sram_max_kb = 16\n", c, &logs).rfind("u.cfg:1: layer 0's MCACHE (18.125 kB) is above the", 0), 0u)
      << prepare("sram_max_kb = 16\n", c, &logs);
}

TEST(Energy, TrainingStepPerGemm) {
  const msim::Config base = msim_test::array_config("ws", 4, 4, 64);
  msim::Config c = base;
  c.training = true;
  const std::vector<msim::Layer> layers = {layer()};
  for (long long h : {0LL, 60LL}) {
    SCOPED_TRACE(h);
    const std::map<long long, msim::LayerHits> logs = {{0, hits(h, 64)}};
    const msim::EnergyModel m = msim::prepare_energy(table(), c, layers, &logs);
    const auto r = msim::simulate(layers, c, &logs).at(0);
    const msim::LayerEnergy e = msim::energy_layer(r, 0, m, c);
    // Input gradient (P, K, N) = (64, 18, 8), by hand from its replayed counts.
    const auto g = msim::gemm_run(64, 18, 8, base).counts;
    const double by_hand = g.macs * kMac + g.ifmap_sram_reads * kRead + g.ifmap_dram_reads * kWrite +
                           g.filter_sram_reads * kRead + g.filter_dram_reads * kWrite + g.ofmap_sram_writes * kWrite +
                           g.ofmap_dram_writes * kRead +
                           (g.ifmap_dram_reads + g.filter_dram_reads + g.ofmap_dram_writes) * kDram;
    EXPECT_NEAR(e.input_grad_baseline, by_hand, 1e-6);
    EXPECT_EQ(g.macs, 64 * 18 * 8);
    if (h == 0) {
      EXPECT_EQ(e.input_grad_mercury, e.input_grad_baseline);
      EXPECT_EQ(e.weight_grad_mercury, e.weight_grad_baseline);
      EXPECT_EQ(e.grad_sum, 0);
      EXPECT_NEAR(e.step_mercury(), e.step_baseline() + e.mercury.own(), 1e-9 * e.step_mercury());
    } else {
      EXPECT_DOUBLE_EQ(e.grad_sum, 60.0 * 8 * 0.5);  // 60 hit rows x 8 output gradients, 0.5 pJ per addition
      EXPECT_LT(e.input_grad_mercury, e.input_grad_baseline);
      EXPECT_LT(e.weight_grad_mercury, e.weight_grad_baseline);
    }
  }
}

}  // namespace
