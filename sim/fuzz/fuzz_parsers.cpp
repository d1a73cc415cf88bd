// libFuzzer target: the config, topology, hit-log, energy-table and (SCALE-Sim v3) layout parsers must reject any
// input with a ParseError, never crash; whatever they accept must go through the closed-form model (compute,
// first-order memory, overlay, training step, join, energy; v3's N:M sparse array) and, for a layout, v3's banked
// replay of one small layer, without UB (the target is built with ASan + UBSan).
#include "config.h"
#include "energy.h"
#include "energy_table.h"
#include "hitlog.h"
#include "hitlog_topology.h"
#include "join.h"
#include "layout.h"
#include "memory.h"
#include "overlay.h"
#include "parse_error.h"
#include "simulate.h"
#include "sparsity.h"
#include "topology.h"
#include "training.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

msim::Config base_config() {
  msim::Config c = msim::parse_config_text(
      "[architecture_presets]\nArrayHeight: 12\nArrayWidth: 14\nIfmapSramSzkB: 36\nFilterSramSzkB: 36\n"
      "OfmapSramSzkB: 36\nDataflow: os\n", "base.cfg");
  c.exact_memory = false;  // the replay allocates per operand word: not for fuzzed sizes
  return c;
}

// The energy model on one layer (first-order memory: fast): the table's refusals, then every energy term.
void energy_of(const msim::EnergyTable& t, const msim::Config& c, const std::vector<msim::Layer>& layers,
               const std::map<long long, msim::LayerHits>& logs) {
  const msim::EnergyModel m = msim::prepare_energy(t, c, layers, &logs);
  msim::Config fast = c;
  fast.exact_memory = false;
  fast.training = true;
  const auto results = msim::simulate(layers, fast, &logs);
  for (const msim::LayerEnergy& e : msim::energy_layers(results, m, fast)) (void)(e.step_mercury() + e.mercury.own());
}

// SCALE-Sim v3's sparse ws array (2:4 layers unless the rows say otherwise) and its banked custom layouts.
msim::Config v3_config(bool user) {
  return msim::parse_config_text(
      std::string("[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nIfmapSramSzkB: 1\nFilterSramSzkB: 1\n"
                  "OfmapSramSzkB: 1\nDataflow: ws\nBandwidth: 4\nFilterOffset: 1000\n[run_presets]\nInterfaceBandwidth: ") +
          (user ? "USER" : "CALC") +
          "\n[layout]\nIfmapCustomLayout: True\nIfmapSRAMBankBandwidth: 8\nIfmapSRAMBankNum: 2\n"
          "IfmapSRAMBankPort: 1\nFilterCustomLayout: True\nFilterSRAMBankBandwidth: 8\nFilterSRAMBankNum: 4\n"
          "FilterSRAMBankPort: 2\n[sparsity]\nSparsitySupport: true\nSparseRep: ellpack_block\nOptimizedMapping: "
          "false\nRandomNumberGeneratorSeed: 1\n[mercury]\nSparsityRatio: 2:4\n",
      "v3.cfg");
}

// A config's or topology's layers on the sparse array: compute, first-order memory, overlay and training.
// Layer-wise N:M, then row-wise (OptimizedMapping, BlockSize 2 on any array).
void sparse_layers(std::vector<msim::Layer> layers, const msim::Config& c) {
  msim::Config sparse = c;
  sparse.sparsity.on = c.dataflow == msim::Dataflow::WS;
  sparse.exact_memory = false;  // the replay allocates per operand word: not for fuzzed sizes
  msim::LayerHits h;
  h.calls = 1;
  h.vectors = 10;
  h.hits = 4;
  h.sig_bits = 8;
  for (bool row_wise : {false, true}) {
    sparse.sparsity.optimized_mapping = row_wise;
    sparse.sparsity.block_size = 2;
    msim::apply_sparsity(layers, sparse);
    for (const msim::Layer& l : layers) {
      if (l.window() * l.filters > (1LL << 24) || l.ofmap_px() > (1LL << 24)) continue;  // keep executions fast
      (void)msim::filter_storage(l, msim::SparseRep::Csr).compressed;
      (void)msim::v3_sparse_ifmap_reads(l, sparse);
      (void)msim::compute_layer(l, sparse).mapping_efficiency;
      (void)msim::training_layer(l, sparse, msim::mercury_layer(l, sparse, &h)).step_speedup();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const msim::Config config = base_config();
  static const std::vector<msim::Layer> one_row = msim::parse_topology_text(
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
      "L000_a,8,8,3,3,2,4,1,\n", "one.csv");
  try {
    msim::Config c = msim::parse_config_text(text, "fuzz.cfg");
    c.exact_memory = false;
    (void)msim::compute_layer(one_row[0], c);
    msim::LayerHits h;
    h.calls = 1;
    h.vectors = 36;
    h.hits = 9;
    h.sig_bits = 12;
    energy_of(msim::default_energy_table(), c, one_row, {{0, h}});  // its SRAM sizes and MCACHE geometry
    sparse_layers(one_row, c);
  } catch (const msim::ParseError&) {
  }
  try {  // a v3 layout file: its rows checked, then v3's banked replay of a small layer (and the order alone, CALC)
    static const msim::Config user = v3_config(true), calc = v3_config(false);
    for (const msim::Config* c : {&calc, &user}) {
      std::vector<msim::Layer> layers = one_row;
      msim::apply_sparsity(layers, *c);
      msim::attach_layouts_text(text, "fuzz_layout.csv", layers, *c);
      (void)msim::layout_order(layers[0], msim::Operand::Filter).size();
      msim::Config exact = *c;
      exact.exact_memory = true;
      (void)msim::memory_layer(layers[0], msim::compute_layer(layers[0], exact), exact).total_cycles;
    }
  } catch (const msim::ParseError&) {
  }
  try {
    msim::LayerHits h;
    h.calls = 1;
    h.vectors = 36;
    h.hits = 30;
    h.sig_bits = 20;
    h.vector_kind = "channel";
    msim::Config c = config;
    c.training = true;
    energy_of(msim::parse_energy_text(text, "fuzz_energy.cfg", msim::default_energy_table()), c, one_row, {{0, h}});
  } catch (const msim::ParseError&) {
  }
  try {
    const auto layers = msim::parse_topology_text(text, "fuzz.csv");
    msim::check_layer_ids(layers, "fuzz.csv");
    msim::LayerHits h;
    h.calls = 1;
    h.vectors = 100;
    h.hits = 37;
    h.misses = 63;
    h.sig_bits = 20;
    for (const msim::Layer& l : layers) {
      if (l.window() * l.filters > (1LL << 24) || l.ofmap_px() > (1LL << 24)) continue;  // keep executions fast
      const auto r = msim::mercury_layer(l, config, &h);
      (void)r.speedup();
      (void)msim::training_layer(l, config, r).step_speedup();
    }
    static const msim::Config ws = v3_config(false);
    sparse_layers(layers, ws);
  } catch (const msim::ParseError&) {
  }
  try {
    std::map<long long, msim::LayerHits> logs{{0, msim::parse_hitlog_text(text, "hitmap-000.csv")}};
    std::vector<msim::Layer> rows = one_row;
    (void)msim::join_hitlogs(rows, logs, "one.csv");
    (void)msim::training_layer(rows[0], config, msim::mercury_layer(rows[0], config, &logs[0]));
    const auto built = msim::layers_from_hitlogs(logs, "fuzz");
    if (built[0].window() * built[0].filters <= (1LL << 24) && built[0].ofmap_px() <= (1LL << 24)) {
      (void)msim::mercury_layer(built[0], config, &logs[0]);
      energy_of(msim::default_energy_table(), config, built, logs);
    }
  } catch (const msim::ParseError&) {
  }
  return 0;
}
