// mercury-sim -c config.cfg [-t topology.csv] [-l layout.csv] [-m hitlog_dir [--training]] [-o outdir]
//             [--memory exact|fast] [--compat v2|v3] [--energy table.cfg] [--cache-entries N] [--cache-ways W]
#include "config.h"
#include "energy.h"
#include "hitlog.h"
#include "hitlog_topology.h"
#include "join.h"
#include "layout.h"
#include "parse_error.h"
#include "report.h"
#include "simulate.h"
#include "sparsity.h"
#include "table.h"
#include "topology.h"

#include <iostream>

namespace {

constexpr const char* kUsage =
    "usage: mercury-sim -c CONFIG.cfg [-t TOPOLOGY.csv] [-l LAYOUT.csv] [-m HITLOG_DIR [--training]] [-o OUT_DIR]\n"
    "                   [--memory exact|fast] [--compat v2|v3] [--energy ENERGY.cfg] [--cache-entries N]\n"
    "                   [--cache-ways W]\n"
    "  CONFIG: SCALE-Sim v2 or v3 config (+ optional [mercury] section); TOPOLOGY: SCALE-Sim conv or GEMM (M,N,K)\n"
    "  CSV (v3's N:M column too). LAYOUT: SCALE-Sim v3's layout file (needed by [layout] *CustomLayout: True).\n"
    "  --compat v3: SCALE-Sim v3's numbers and report columns (default v2's; sim/README.md, \"SCALE-Sim v3\").\n"
    "  The topology is -t, else the config's [network_presets] TopologyCsvLoc, else (with -m) built from the\n"
    "  hit logs' geometry (layers L000, L001, ...).\n"
    "  HITLOG_DIR: hitlog-NNN.csv files exported by mercury.hitlog_export (row i of the topology = layer id i;\n"
    "              a grouped conv's groups come from its hit log). Older logs (hitmap-NNN.csv, columns S0, S1,\n"
    "              vector for vectors, sig_bits, vector_kind) are read too.\n"
    "  OUT_DIR: COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv, ENERGY_REPORT.csv\n"
    "           (+ MERCURY_REPORT.csv and MERCURY_TOTAL.csv with -m).\n"
    "  --cache-entries N, --cache-ways W: the MCACHE's geometry (energy and storage only), overriding the\n"
    "            config's [mercury] CacheEntries / CacheWays (defaults 1024 / 0 = fully associative).\n"
    "  --energy: an energy table overriding entries of the built-in one (configs/energy/default_45nm.cfg; a\n"
    "            first entry `defaults = none` replaces it whole); energies are in ENERGY_REPORT.csv and the table.\n"
    "  --memory: exact (default) replays SCALE-Sim's read/write buffers (its DRAM counts, stalls, start/stop\n"
    "            cycles); fast = first-order model (CALC: cycles identical, DRAM counts approximate; USER: stalls\n"
    "            approximate too), milliseconds per network.\n"
    "  --training: (with -m) each layer's training step: forward, input gradient and weight gradient, baseline\n"
    "              and MERCURY (Forward*, InputGrad*, WeightGrad*, Step* columns; the table shows the step).\n"
    "  Long names, as in the Python CLIs: --config (-c), --topology (-t), --hitlog (-m), --out (-o), --layout (-l).\n";

// The file-taking flags: SCALE-Sim's short names and the long names the project's Python CLIs use.
struct Paths {
  std::string config, topology, hitlog, out, energy, layout;
};
std::string* file_flag(const std::string& arg, Paths& p) {
  if (arg == "--energy") return &p.energy;
  if (arg == "-l" || arg == "--layout") return &p.layout;
  if (arg == "-c" || arg == "--config") return &p.config;
  if (arg == "-t" || arg == "--topology") return &p.topology;
  if (arg == "-m" || arg == "--hitlog") return &p.hitlog;
  if (arg == "-o" || arg == "--out") return &p.out;
  return nullptr;
}

struct Args {
  Paths paths;
  std::string memory = "exact";
  msim::Compat compat = msim::Compat::V2;
  bool training = false;
  std::string cache_entries, cache_ways;  // override the config's [mercury] CacheEntries / CacheWays
};

// --cache-entries / --cache-ways: the config's keys, checked by the config's own rules (as a [mercury] section).
void override_mcache(const Args& a, msim::Config& c) {
  if (a.cache_entries.empty() && a.cache_ways.empty()) return;
  std::string text = "[architecture_presets]\nArrayHeight: 1\nArrayWidth: 1\nIfmapSramSzkB: 1\nFilterSramSzkB: 1\n"
                     "OfmapSramSzkB: 1\nDataflow: ws\n[mercury]\nCacheEntries: " +
                     (a.cache_entries.empty() ? std::to_string(c.mercury.cache_entries) : a.cache_entries) +
                     "\nCacheWays: " + (a.cache_ways.empty() ? std::to_string(c.mercury.cache_ways) : a.cache_ways) + "\n";
  const msim::Config given = msim::parse_config_text(text, "--cache-entries/--cache-ways");
  c.mercury.cache_entries = given.mercury.cache_entries;
  c.mercury.cache_ways = given.mercury.cache_ways;
}

// The command line into a; returns -1 to go on, else the exit code (--help: 0, a bad argument: 2).
int parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--memory" && i + 1 < argc && (std::string(argv[i + 1]) == "exact" || std::string(argv[i + 1]) == "fast")) {
      a.memory = argv[++i];
      continue;
    }
    if (arg == "--compat" && i + 1 < argc && (std::string(argv[i + 1]) == "v2" || std::string(argv[i + 1]) == "v3")) {
      a.compat = std::string(argv[++i]) == "v3" ? msim::Compat::V3 : msim::Compat::V2;
      continue;
    }
    if (arg == "--training") {
      a.training = true;
      continue;
    }
    if ((arg == "--cache-entries" || arg == "--cache-ways") && i + 1 < argc) {
      (arg == "--cache-entries" ? a.cache_entries : a.cache_ways) = argv[++i];
      continue;
    }
    if (std::string* target = file_flag(arg, a.paths)) {
      if (i + 1 < argc) {
        *target = argv[++i];
        continue;
      }
    }
    std::cerr << "mercury-sim: unexpected argument '" << arg << "'\n" << kUsage;
    return 2;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (const int rc = parse_args(argc, argv, args); rc >= 0) return rc;
  const Paths& paths = args.paths;
  const std::string &config_path = paths.config, &hitlog_dir = paths.hitlog, &out_dir = paths.out;
  std::string topology_path = paths.topology;
  const std::string& memory = args.memory;
  const bool training = args.training;
  if (config_path.empty()) {
    std::cerr << "mercury-sim: -c is required\n" << kUsage;
    return 2;
  }
  if (training && hitlog_dir.empty()) {
    std::cerr << "mercury-sim: --training needs -m HITLOG_DIR\n" << kUsage;
    return 2;
  }
  try {
    msim::Config config = msim::parse_config(config_path);
    config.exact_memory = memory == "exact";
    config.training = training;
    config.compat = args.compat;
    override_mcache(args, config);
    if (topology_path.empty()) topology_path = config.topology_path;  // SCALE-Sim: the command line wins
    if (topology_path.empty() && hitlog_dir.empty()) {
      std::cerr << "mercury-sim: -t is required unless -m is given or the config names a topology\n" << kUsage;
      return 2;
    }
    std::vector<msim::Layer> layers;
    std::map<long long, msim::LayerHits> hitlogs;
    if (!hitlog_dir.empty()) {
      // With a topology, a run where every layer was off (no hit log at all) is legitimate: every row at baseline.
      hitlogs = msim::read_hitlog_dir(hitlog_dir, !topology_path.empty());
      if (hitlogs.empty()) {
        std::cerr << "mercury-sim: warning: " << hitlog_dir << " holds no hit log: every layer at baseline\n";
      }
    }
    if (!topology_path.empty()) {
      layers = msim::parse_topology(topology_path);
      if (!hitlog_dir.empty()) {
        for (const std::string& w : msim::join_hitlogs(layers, hitlogs, topology_path)) {
          std::cerr << "mercury-sim: warning: " << w << "\n";
        }
      }
    } else {
      layers = msim::layers_from_hitlogs(hitlogs, hitlog_dir);
    }
    msim::apply_sparsity(layers, config);
    if (config.ifmap_banks.custom_layout || config.filter_banks.custom_layout) {
      if (paths.layout.empty()) {
        const bool ifmap = config.ifmap_banks.custom_layout;
        throw msim::ParseError(config_path, (ifmap ? config.ifmap_banks : config.filter_banks).line,
                               std::string(ifmap ? "IfmapCustomLayout" : "FilterCustomLayout") +
                                   ": True needs SCALE-Sim v3's layout file: -l LAYOUT.csv");
      }
      msim::attach_layouts(paths.layout, layers, config);
    } else if (!paths.layout.empty()) {
      std::cerr << "mercury-sim: note: " << paths.layout << " is not used: no [layout] *CustomLayout is True (as "
                   "SCALE-Sim v3)\n";
    }
    // Every energy refusal (table, SRAM sizes, MCACHE sizes) before any simulation work.
    const auto* logs = hitlog_dir.empty() ? nullptr : &hitlogs;
    const msim::EnergyModel energy_model =
        msim::prepare_energy(msim::load_energy_table(paths.energy), config, layers, logs);
    const auto results = msim::simulate(layers, config, logs);
    const auto energy = msim::energy_layers(results, energy_model, config);
    if (!out_dir.empty()) msim::write_reports(results, config, !hitlog_dir.empty(), out_dir, &energy);
    msim::print_table(results, config, !hitlog_dir.empty(), std::cout, &energy);
  } catch (const msim::ParseError& e) {
    std::cerr << "mercury-sim: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mercury-sim: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
