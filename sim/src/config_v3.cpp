#include "config_v3.h"

#include "parse_error.h"
#include "topology.h"

namespace msim {
namespace {

constexpr long long kMaxBankValue = 1LL << 30;  // bank bandwidth, banks, ports, request buffers

// configparser's getboolean (the [layout] switches): 1/yes/true/on, 0/no/false/off, any case.
bool config_boolean(const ConfigKeys& keys, const std::string& key) {
  const Entry& e = keys.need(key);
  const std::string v = lower(e.value);
  if (v == "1" || v == "yes" || v == "true" || v == "on") return true;
  if (v == "0" || v == "no" || v == "false" || v == "off") return false;
  keys.fail(e.line, key + " must be a boolean (true/false, yes/no, on/off, 1/0), got '" + e.value + "'");
}

// v3 turns [sparsity] switches on for the text 'true' in any case and off for anything else; mercury-sim refuses
// anything but true/false.
bool true_or_false(const ConfigKeys& keys, const std::string& key) {
  const Entry& e = keys.need(key);
  const std::string v = lower(e.value);
  if (v != "true" && v != "false") keys.fail(e.line, key + " must be true or false, got '" + e.value + "'");
  return v == "true";
}

// [run_presets] UseRamulatorTrace (v3 reads it without a fallback) and the request buffers it sizes.
void read_ramulator(const ConfigKeys& keys) {
  if (const Entry* e = keys.find("run_presets.useramulatortrace")) {
    if (e->value == "True") {
      keys.fail(e->line, "UseRamulatorTrace: True (Ramulator DRAM latency traces) is not modeled: Ramulator is a "
                         "patched C++ tool outside the scalesim wheel; use False");
    }
    if (e->value != "False") {
      keys.fail(e->line, "UseRamulatorTrace must be True or False (SCALE-Sim v3 turns Ramulator on for the exact text "
                         "'True' and off for anything else), got '" + e->value + "'");
    }
  }
  // Ramulator's request queues: no effect without it, but v3 parses them as integers.
  for (const char* key : {"architecture_presets.readrequestbuffer", "architecture_presets.writerequestbuffer"}) {
    if (const Entry* e = keys.find(key)) keys.bounded(key, e->value, e->line, kMaxBankValue);
  }
}

OperandBanks read_banks(const ConfigKeys& keys, const std::string& operand) {
  OperandBanks b;
  const std::string prefix = "layout." + operand;
  b.custom_layout = config_boolean(keys, prefix + "customlayout");
  b.line = keys.need(prefix + "customlayout").line;
  b.bandwidth = keys.positive(prefix + "srambankbandwidth", kMaxBankValue);
  b.banks = keys.positive(prefix + "srambanknum", kMaxBankValue);
  b.ports = keys.positive(prefix + "srambankport", kMaxBankValue);
  if (b.bandwidth % b.banks != 0) {
    // v3 asserts this in memory/read_buffer.py's set_params (USER interfaces); each bank serves bandwidth / banks
    // words of a line.
    const Entry& e = keys.need(prefix + "srambanknum");
    keys.fail(e.line, operand + " SRAM bank bandwidth " + std::to_string(b.bandwidth) +
                          " must be divisible by the number of banks, got " + std::to_string(b.banks));
  }
  return b;
}

// [layout]: v3 reads all eight keys. With USER interfaces the ifmap and filter DRAM bandwidths are the bank
// bandwidths (single_layer_sim.py), Bandwidth only the ofmap's.
void read_layout(const ConfigKeys& keys, Config& c) {
  if (!keys.has_section("layout")) return;
  c.ifmap_banks = read_banks(keys, "ifmap");
  c.filter_banks = read_banks(keys, "filter");
  if (!c.bandwidth_calc) {
    c.ifmap_bandwidth = c.ifmap_banks.bandwidth;
    c.filter_bandwidth = c.filter_banks.bandwidth;
  }
  if (c.ifmap_banks.custom_layout && c.ifmap_offset != 0) {
    // v3's custom ifmap layout lists addresses without IfmapOffset: no request would ever hit (v3 loops forever).
    keys.fail(keys.need("layout.ifmapcustomlayout").line,
              "IfmapCustomLayout needs IfmapOffset 0 (SCALE-Sim v3's layout addresses have no offset: its read "
              "buffer would wait forever), got " + std::to_string(c.ifmap_offset));
  }
}

SparseRep sparse_rep(const ConfigKeys& keys) {
  const Entry& e = keys.need("sparsity.sparserep");
  if (e.value == "csr") return SparseRep::Csr;
  if (e.value == "csc") return SparseRep::Csc;
  if (e.value == "ellpack_block") return SparseRep::EllpackBlock;
  keys.fail(e.line, "SparseRep must be csr, csc or ellpack_block (SCALE-Sim v3 crashes on any other), got '" +
                        e.value + "'");
}

// [sparsity]: SparsitySupport, and when on SparseRep, OptimizedMapping, RandomNumberGeneratorSeed (+ BlockSize
// with OptimizedMapping), as v3 reads them.
void read_sparsity(const ConfigKeys& keys, Config& c) {
  if (const Entry* e = keys.find("mercury.sparsityratio")) {
    Layer ratio;
    parse_sparsity_ratio(e->value, "SparsityRatio", keys.name(), e->line, ratio);
    c.sparsity.default_n = ratio.nm_n;
    c.sparsity.default_m = ratio.nm_m;
  }
  if (!keys.has_section("sparsity")) return;
  SparsitySettings& s = c.sparsity;
  s.on = true_or_false(keys, "sparsity.sparsitysupport");
  if (!s.on) return;
  const int at = keys.need("sparsity.sparsitysupport").line;
  if (c.dataflow != Dataflow::WS) {
    keys.fail(at, std::string("SparsitySupport: true needs Dataflow ws: SCALE-Sim v3 models N:M sparsity for the "
                              "weight-stationary array only (compute/systolic_compute_ws.py); its ") +
                      dataflow_name(c.dataflow) + " compute ignores it, got Dataflow " + dataflow_name(c.dataflow));
  }
  s.rep = sparse_rep(keys);
  s.optimized_mapping = true_or_false(keys, "sparsity.optimizedmapping");
  const Entry& seed = keys.need("sparsity.randomnumbergeneratorseed");
  s.seed = parse_int(seed.value, "RandomNumberGeneratorSeed", keys.name(), seed.line);
  if (s.seed < 0 || s.seed > 0xFFFFFFFFLL) {
    keys.fail(seed.line, "RandomNumberGeneratorSeed must be in [0, 2^32 - 1] (numpy's seed), got " + seed.value);
  }
  if (!s.optimized_mapping) return;
  const Entry& block = keys.need("sparsity.blocksize");
  s.block_size = keys.bounded("BlockSize", block.value, block.line, kMaxBankValue);
  if (s.block_size > c.array_height) {
    keys.fail(block.line, "BlockSize must be <= ArrayHeight (" + std::to_string(c.array_height) +
                              "; SCALE-Sim v3 asserts it), got " + block.value);
  }
  // v3 pads each half block to BlockSize / 2 and cuts 2 ArrayHeight ifmap columns into blocks repeated BlockSize / 2
  // times, one per array row: that needs an even BlockSize dividing 2 ArrayHeight (v3 crashes on 5 with 12 rows and
  // maps 8 blocks on 12 rows with 3).
  if (s.block_size % 2 != 0 || (2 * c.array_height) % s.block_size != 0) {
    keys.fail(block.line, "BlockSize must be even and divide 2 x ArrayHeight (" + std::to_string(2 * c.array_height) +
                              ") for v3's row-wise mapping, got " + block.value);
  }
}

}  // namespace

void read_v3_sections(const ConfigKeys& keys, Config& c) {
  read_ramulator(keys);
  read_layout(keys, c);
  read_sparsity(keys, c);
}

}  // namespace msim
