// SCALE-Sim .cfg files (v2, and v3's keys and sections: config_v3.h), plus the optional [mercury] section of this
// simulator.
#pragma once

#include <string>

namespace msim {

enum class Dataflow { WS, OS, IS };
const char* dataflow_name(Dataflow d);

// MERCURY's extra costs (docs in sim/README.md).
struct MercuryCosts {
  // 0: the RPQ projection (vectors x K x bits MACs) runs on the systolic array as an extra GEMM;
  // > 0: on a separate signature unit doing this many MACs per cycle.
  long long signature_unit_macs = 0;
  double lookup_cycles_per_vector = 1.0;   // MCACHE probe per vector, one port
  bool reuse_reads_results = true;         // a hit reads its cached outputs (C_out words at ArrayWidth/cycle)
  // The MCACHE's geometry (the hit logs do not record it): the op's defaults, 1024 entries, fully associative
  // (ways 0). Only the energy model and the MCACHE's storage use them (energy.h, mcache_storage.h).
  long long cache_entries = 1024;
  long long cache_ways = 0;                // 0: fully associative; else divides cache_entries
};

// SCALE-Sim v3's [sparsity] section (compute/compression.py, operand_matrix.py): N:M weight sparsity on the
// weight-stationary array, the N:M of each layer from its topology row (topology.h).
enum class SparseRep { Csr, Csc, EllpackBlock };
const char* sparse_rep_name(SparseRep r);
struct SparsitySettings {
  bool on = false;                  // SparsitySupport
  SparseRep rep = SparseRep::EllpackBlock;
  bool optimized_mapping = false;   // OptimizedMapping (row-wise sparsity)
  long long block_size = 4;         // BlockSize
  long long seed = 40;              // RandomNumberGeneratorSeed (row-wise sparsity only)
  // [mercury] SparsityRatio N:M (default 1:1, as v3): for topology rows without the N:M column and layers built
  // from hit logs.
  long long default_n = 1, default_m = 1;
};

// SCALE-Sim v3's [layout] keys for one input operand (ifmap or filter SRAM).
struct OperandBanks {
  bool custom_layout = false;  // *CustomLayout: the SRAM holds the operand in the layout file's order, in banks
  long long bandwidth = 10;    // *SRAMBankBandwidth: words per line (and, with USER interfaces, DRAM words/cycle)
  long long banks = 1;         // *SRAMBankNum: a line's words are split over the banks, bandwidth / banks each
  long long ports = 2;         // *SRAMBankPort: lines a bank serves per cycle
  int line = 0;                // *CustomLayout's line (the layout file it needs is an argument, -l)
};

// Which SCALE-Sim's numbers the reports reproduce (mercury-sim --compat): v2 (default) or v3, whose memory model
// differs in two places and whose reports add columns (sim/README.md, "SCALE-Sim v3").
enum class Compat { V2, V3 };

// The keys SCALE-Sim v2 reads (scalesim/scale_config.py) that change its results; sim/README.md lists every key it
// accepts and what happens to the others (offsets and MemoryBanks change nothing in SCALE-Sim v2 either).
struct Config {
  std::string run_name = "run";
  long long array_height = 0, array_width = 0;
  long long ifmap_sram_kb = 0, filter_sram_kb = 0, ofmap_sram_kb = 0;
  Dataflow dataflow = Dataflow::WS;
  long long bandwidth = 10;      // words/cycle of the DRAM interface (USER mode: the first value of Bandwidth)
  // USER mode: the ifmap's and filter's DRAM words/cycle: Bandwidth (v2), [layout] *SRAMBankBandwidth in a config
  // with a [layout] section (v3 reads them there, and Bandwidth for the ofmap only).
  long long ifmap_bandwidth = 10, filter_bandwidth = 10;
  // IfmapOffset, FilterOffset: no report depends on them but v3's bank columns (scalesim_buffers.h, BankModel); v3's
  // custom ifmap layout has no offset (config_v3.cpp).
  long long ifmap_offset = 0, filter_offset = 0;
  bool bandwidth_calc = true;    // InterfaceBandwidth: CALC (SCALE-Sim sizes the interface: no stalls)
  // TopologyCsvLoc of a [network_presets] config (SCALE-Sim's saved configs): the topology when none is given on
  // the command line. Empty: none. Relative paths are relative to the working directory, as in SCALE-Sim.
  std::string topology_path;
  MercuryCosts mercury;
  OperandBanks ifmap_banks, filter_banks;  // v3's [layout]
  SparsitySettings sparsity;               // v3's [sparsity]
  // Not a .cfg key: mercury-sim --compat v2|v3.
  Compat compat = Compat::V2;
  // Not a .cfg key: mercury-sim --memory fast|exact. exact replays SCALE-Sim's CALC read buffer (O(SRAM reads));
  // fast uses the first-order model (cycles are the same either way).
  bool exact_memory = true;
  // Not a .cfg key: mercury-sim --training. With hit logs, simulate() also models each layer's training step
  // (training.h) and the MERCURY reports gain its columns.
  bool training = false;
  // Not a .cfg key: let the CALC replay count proved all-miss operands per row and skip settled folds
  // (cycle_replay.cpp, all_miss.h). Results are identical either way; tests turn it off to check that.
  bool replay_shortcuts = true;
};

// Throws ParseError (file:line) for unreadable files, unknown sections, missing or invalid keys.
Config parse_config(const std::string& path);
Config parse_config_text(const std::string& text, const std::string& name);

}  // namespace msim
