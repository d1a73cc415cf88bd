#include "config.h"

#include "config_keys.h"
#include "config_v3.h"
#include "parse_error.h"

#include <sstream>

namespace msim {
namespace {
constexpr long long kMaxArray = 1LL << 16;    // PEs per side
constexpr long long kMaxSramKb = 1LL << 30;   // 1 TB; also the Bandwidth limit (words/cycle)
constexpr long long kMaxOffset = 1LL << 40;   // v3's bank model adds offsets to addresses (scalesim_buffers.h)
}  // namespace

const char* sparse_rep_name(SparseRep r) {
  switch (r) {
    case SparseRep::Csr: return "csr";
    case SparseRep::Csc: return "csc";
    case SparseRep::EllpackBlock: return "ellpack_block";
  }
  return "?";
}

const char* dataflow_name(Dataflow d) {
  switch (d) {
    case Dataflow::WS: return "ws";
    case Dataflow::OS: return "os";
    case Dataflow::IS: return "is";
  }
  return "?";
}

namespace {

void read_array(const ConfigKeys& keys, Config& c) {
  if (const Entry* e = keys.find("general.run_name")) c.run_name = e->value;
  c.array_height = keys.positive("architecture_presets.arrayheight", kMaxArray);
  c.array_width = keys.positive("architecture_presets.arraywidth", kMaxArray);
  c.ifmap_sram_kb = keys.positive("architecture_presets.ifmapsramszkb", kMaxSramKb);
  c.filter_sram_kb = keys.positive("architecture_presets.filtersramszkb", kMaxSramKb);
  c.ofmap_sram_kb = keys.positive("architecture_presets.ofmapsramszkb", kMaxSramKb);
  // Offsets only shift addresses between SCALE-Sim's separate buffers: no report changes, unless negative (an
  // address of -1 is SCALE-Sim's "no data" marker).
  for (const char* key : {"architecture_presets.ifmapoffset", "architecture_presets.filteroffset",
                          "architecture_presets.ofmapoffset"}) {
    const Entry* e = keys.find(key);
    const long long offset = e ? parse_int(e->value, key, keys.name(), e->line) : 0;
    if (offset < 0) keys.fail(e->line, std::string("negative offsets are not supported (") + key + ")");
    if (offset > kMaxOffset) keys.fail(e->line, std::string("offsets above 2^40 are not supported (") + key + ")");
    if (std::string(key) == "architecture_presets.ifmapoffset") c.ifmap_offset = offset;
    if (std::string(key) == "architecture_presets.filteroffset") c.filter_offset = offset;
  }
  const Entry& df = keys.need("architecture_presets.dataflow");
  const std::string d = lower(df.value);
  if (d == "ws") c.dataflow = Dataflow::WS;
  else if (d == "os") c.dataflow = Dataflow::OS;
  else if (d == "is") c.dataflow = Dataflow::IS;
  else keys.fail(df.line, "Dataflow must be ws, os or is, got '" + df.value + "'");
}

void read_interface(const ConfigKeys& keys, Config& c) {
  if (const Entry* ib = keys.find("run_presets.interfacebandwidth")) {
    const std::string mode = lower(ib->value);
    if (mode != "calc" && mode != "user") keys.fail(ib->line, "InterfaceBandwidth must be CALC or USER, got '" + ib->value + "'");
    c.bandwidth_calc = mode == "calc";
  }
  // Bandwidth: SCALE-Sim reads it only with USER interfaces, as a comma-separated list whose first value is used
  // (it parses every value). With CALC it is never read, so any value (also an empty one, as its saved configs
  // write) is accepted and changes nothing.
  if (c.bandwidth_calc) return;
  const Entry& bw = keys.need("architecture_presets.bandwidth");
  std::stringstream list(bw.value);
  std::string item;
  for (int i = 0; std::getline(list, item, ','); ++i) {
    if (i == 0) c.bandwidth = c.ifmap_bandwidth = c.filter_bandwidth =
        keys.bounded("architecture_presets.bandwidth", item, bw.line, kMaxSramKb);
    else parse_int(item, "architecture_presets.bandwidth value " + std::to_string(i + 1), keys.name(), bw.line);
  }
  if (bw.value.empty() || bw.value.back() == ',') {
    keys.fail(bw.line, "architecture_presets.bandwidth must be integers separated by ',', got '" + bw.value + "'");
  }
}

// TopologyCsvLoc = "path": SCALE-Sim's saved configs carry it in [network_presets]; its reader takes it from
// [architecture_presets] once [network_presets] exists, the text between the first two '"'.
void read_topology_path(const ConfigKeys& keys, Config& c) {
  const bool network = keys.has_section("network_presets");
  const Entry* arch_topo = keys.find("architecture_presets.topologycsvloc");
  const Entry* net_topo = keys.find("network_presets.topologycsvloc");
  if (arch_topo && !network) {
    keys.fail(arch_topo->line, "TopologyCsvLoc in [architecture_presets] without a [network_presets] section is not "
                               "supported (SCALE-Sim ignores it)");
  }
  if (!network) return;
  if (!arch_topo && !net_topo) keys.fail(keys.last_line(), "missing key 'TopologyCsvLoc' in [network_presets]");
  if (arch_topo && net_topo && arch_topo->value != net_topo->value) {
    keys.fail(arch_topo->line, "TopologyCsvLoc differs from the one in [network_presets] (line " +
                                   std::to_string(net_topo->line) + ")");
  }
  const Entry& e = arch_topo ? *arch_topo : *net_topo;
  const auto q1 = e.value.find('"');
  const auto q2 = q1 == std::string::npos ? q1 : e.value.find('"', q1 + 1);
  const std::string path = q1 == std::string::npos ? "" : e.value.substr(q1 + 1, q2 == std::string::npos ? q2 : q2 - q1 - 1);
  if (path.empty()) keys.fail(e.line, "TopologyCsvLoc must be a path in double quotes, got '" + e.value + "'");
  c.topology_path = path;
}

// CacheEntries in [1, 2^30] (the op's bound), CacheWays 0 (fully associative) or a divisor of CacheEntries.
void read_mcache_geometry(const ConfigKeys& keys, Config& c) {
  if (const Entry* e = keys.find("mercury.cacheentries")) {
    c.mercury.cache_entries = keys.bounded("CacheEntries", e->value, e->line, 1LL << 30);
  }
  if (const Entry* w = keys.find("mercury.cacheways")) {
    c.mercury.cache_ways = parse_int(w->value, "CacheWays", keys.name(), w->line);
    if (c.mercury.cache_ways < 0 || c.mercury.cache_ways > c.mercury.cache_entries ||
        (c.mercury.cache_ways > 0 && c.mercury.cache_entries % c.mercury.cache_ways != 0)) {
      keys.fail(w->line, "CacheWays must be 0 (fully associative) or divide CacheEntries (" +
                             std::to_string(c.mercury.cache_entries) + "), got " + w->value);
    }
  }
}

void read_mercury(const ConfigKeys& keys, Config& c) {
  if (const Entry* sig = keys.find("mercury.signatureunitmacs")) {
    c.mercury.signature_unit_macs = parse_int(sig->value, "SignatureUnitMacs", keys.name(), sig->line);
    if (c.mercury.signature_unit_macs < 0 || c.mercury.signature_unit_macs > (1LL << 40)) {
      keys.fail(sig->line, "SignatureUnitMacs must be in [0, 2^40]");
    }
  }
  if (const Entry* look = keys.find("mercury.lookupcyclespervector")) {
    c.mercury.lookup_cycles_per_vector = parse_double(look->value, "LookupCyclesPerVector", keys.name(), look->line);
    if (!(c.mercury.lookup_cycles_per_vector >= 0 && c.mercury.lookup_cycles_per_vector <= 1e6)) {
      keys.fail(look->line, "LookupCyclesPerVector must be in [0, 1e6]");
    }
  }
  if (const Entry* reads = keys.find("mercury.reusereadsresults")) {
    const std::string v = lower(reads->value);
    if (v != "true" && v != "false") keys.fail(reads->line, "ReuseReadsResults must be true or false");
    c.mercury.reuse_reads_results = v == "true";
  }
  read_mcache_geometry(keys, c);
}

}  // namespace

Config parse_config_text(const std::string& text, const std::string& name) {
  const ConfigKeys keys(text, name);
  Config c;
  read_array(keys, c);
  read_interface(keys, c);
  read_topology_path(keys, c);
  read_mercury(keys, c);
  read_v3_sections(keys, c);
  return c;
}

Config parse_config(const std::string& path) {
  return parse_config_text(read_input_file(path, "config file"), path);
}

}  // namespace msim
