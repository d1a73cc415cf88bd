// libFuzzer target: the config, topology, hit-log and energy-table parsers must reject any input with a ParseError,
// never crash; whatever they accept must go through the closed-form model (compute, first-order memory, overlay,
// training step, join, energy) without UB (the target is built with ASan + UBSan).
#include "config.h"
#include "energy.h"
#include "energy_table.h"
#include "hitlog.h"
#include "hitlog_topology.h"
#include "join.h"
#include "overlay.h"
#include "parse_error.h"
#include "simulate.h"
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
