#include "config.h"

#include "parse_error.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace msim {
namespace {
constexpr long long kMaxArray = 1LL << 16;    // PEs per side
constexpr long long kMaxSramKb = 1LL << 30;   // 1 TB; also the Bandwidth limit (words/cycle)
}  // namespace

const char* dataflow_name(Dataflow d) {
  switch (d) {
    case Dataflow::WS: return "ws";
    case Dataflow::OS: return "os";
    case Dataflow::IS: return "is";
  }
  return "?";
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct Entry {
  std::string value;
  int line;
};

// Keys per section (lower case, as configparser matches them). Any other key or section is a ParseError.
const std::map<std::string, std::set<std::string>>& known_keys() {
  static const std::map<std::string, std::set<std::string>> keys = {
      {"general", {"run_name"}},
      {"architecture_presets",
       {"arrayheight", "arraywidth", "ifmapsramszkb", "filtersramszkb", "ofmapsramszkb", "ifmapoffset", "filteroffset",
        "ofmapoffset", "dataflow", "bandwidth", "memorybanks", "topologycsvloc"}},
      {"run_presets", {"interfacebandwidth"}},
      {"network_presets", {"topologycsvloc"}},
      {"mercury", {"signatureunitmacs", "lookupcyclespervector", "reusereadsresults"}},
  };
  return keys;
}

size_t indent_of(const std::string& raw) { return raw.find_first_not_of(" \t"); }

}  // namespace

Config parse_config_text(const std::string& text, const std::string& name) {
  std::map<std::string, Entry> keys;  // "section.key" lower-case
  std::set<std::string> sections;
  std::istringstream in(text);
  std::string raw, section;
  int line = 0, content_lines = 0;
  size_t key_indent = std::string::npos;  // indentation of the section's last key line (npos: none yet)
  while (std::getline(in, raw)) {
    ++line;
    const std::string s = trim(raw);
    if (s.empty() || s[0] == '#' || s[0] == ';') continue;
    ++content_lines;
    if (key_indent != std::string::npos && indent_of(raw) > key_indent) {
      throw ParseError(name, line, "continuation lines (multi-line values) are not supported");
    }
    if (s.front() == '[') {
      if (s.back() != ']') throw ParseError(name, line, "unterminated section header '" + s + "'");
      const std::string header = trim(s.substr(1, s.size() - 2));
      if (header == "DEFAULT") throw ParseError(name, line, "the [DEFAULT] section is not supported");
      section = lower(header);
      if (!known_keys().count(section)) throw ParseError(name, line, "unknown section [" + header + "]");
      if (!sections.insert(section).second) throw ParseError(name, line, "duplicate section [" + header + "]");
      key_indent = std::string::npos;
      continue;
    }
    const auto sep = s.find_first_of(":=");
    if (sep == std::string::npos) throw ParseError(name, line, "expected 'key: value', got '" + s + "'");
    if (section.empty()) throw ParseError(name, line, "key outside of a [section]");
    const std::string key = lower(trim(s.substr(0, sep))), value = trim(s.substr(sep + 1));
    if (!known_keys().at(section).count(key)) {
      throw ParseError(name, line, "unknown key '" + trim(s.substr(0, sep)) + "' in [" + section + "] (not supported)");
    }
    if (value.find('%') != std::string::npos) {
      throw ParseError(name, line, "'%' in a value (configparser interpolation) is not supported");
    }
    if (!keys.emplace(section + "." + key, Entry{value, line}).second) {
      throw ParseError(name, line, "duplicate key '" + key + "' in [" + section + "]");
    }
    key_indent = indent_of(raw);
  }
  if (content_lines == 0) throw ParseError(name, line, "empty config file");

  auto need = [&](const std::string& key) -> const Entry& {
    auto it = keys.find(key);
    if (it == keys.end()) throw ParseError(name, line, "missing key '" + key.substr(key.find('.') + 1) + "' in [" +
                                                           key.substr(0, key.find('.')) + "]");
    return it->second;
  };
  auto bounded = [&](const std::string& key, const std::string& value, int at, long long limit) {
    const long long v = parse_int(value, key, name, at);
    if (v <= 0) throw ParseError(name, at, key + " must be > 0, got " + std::to_string(v));
    if (v > limit) {  // keeps every product of the model inside 64 bits
      throw ParseError(name, at, key + " must be <= " + std::to_string(limit) + ", got " + std::to_string(v));
    }
    return v;
  };
  auto positive = [&](const std::string& key, long long limit) {
    const Entry& e = need(key);
    return bounded(key, e.value, e.line, limit);
  };

  Config c;
  if (keys.count("general.run_name")) c.run_name = keys["general.run_name"].value;
  c.array_height = positive("architecture_presets.arrayheight", kMaxArray);
  c.array_width = positive("architecture_presets.arraywidth", kMaxArray);
  c.ifmap_sram_kb = positive("architecture_presets.ifmapsramszkb", kMaxSramKb);
  c.filter_sram_kb = positive("architecture_presets.filtersramszkb", kMaxSramKb);
  c.ofmap_sram_kb = positive("architecture_presets.ofmapsramszkb", kMaxSramKb);
  // Offsets only shift addresses between SCALE-Sim's separate buffers: no report changes, unless negative (an
  // address of -1 is SCALE-Sim's "no data" marker).
  for (const char* key : {"architecture_presets.ifmapoffset", "architecture_presets.filteroffset",
                          "architecture_presets.ofmapoffset"}) {
    auto it = keys.find(key);
    if (it != keys.end() && parse_int(it->second.value, key, name, it->second.line) < 0) {
      throw ParseError(name, it->second.line, std::string("negative offsets are not supported (") + key + ")");
    }
  }
  const Entry& df = need("architecture_presets.dataflow");
  const std::string d = lower(df.value);
  if (d == "ws") c.dataflow = Dataflow::WS;
  else if (d == "os") c.dataflow = Dataflow::OS;
  else if (d == "is") c.dataflow = Dataflow::IS;
  else throw ParseError(name, df.line, "Dataflow must be ws, os or is, got '" + df.value + "'");
  auto ib = keys.find("run_presets.interfacebandwidth");
  if (ib != keys.end()) {
    const std::string mode = lower(ib->second.value);
    if (mode != "calc" && mode != "user") {
      throw ParseError(name, ib->second.line, "InterfaceBandwidth must be CALC or USER, got '" + ib->second.value + "'");
    }
    c.bandwidth_calc = mode == "calc";
  }
  // Bandwidth: SCALE-Sim reads it only with USER interfaces, as a comma-separated list whose first value is used
  // (it parses every value). With CALC it is never read, so any value (also an empty one, as its saved configs
  // write) is accepted and changes nothing.
  if (!c.bandwidth_calc) {
    const Entry& bw = need("architecture_presets.bandwidth");
    std::stringstream list(bw.value);
    std::string item;
    for (int i = 0; std::getline(list, item, ','); ++i) {
      if (i == 0) c.bandwidth = bounded("architecture_presets.bandwidth", item, bw.line, kMaxSramKb);
      else parse_int(item, "architecture_presets.bandwidth value " + std::to_string(i + 1), name, bw.line);
    }
    if (bw.value.empty() || bw.value.back() == ',') {
      throw ParseError(name, bw.line, "architecture_presets.bandwidth must be integers separated by ',', got '" +
                                          bw.value + "'");
    }
  }
  // TopologyCsvLoc = "path": SCALE-Sim's saved configs carry it in [network_presets]; its reader takes it from
  // [architecture_presets] once [network_presets] exists, the text between the first two '"'.
  const bool network = sections.count("network_presets") > 0;
  auto arch_topo = keys.find("architecture_presets.topologycsvloc");
  auto net_topo = keys.find("network_presets.topologycsvloc");
  if (arch_topo != keys.end() && !network) {
    throw ParseError(name, arch_topo->second.line, "TopologyCsvLoc in [architecture_presets] without a "
                                                   "[network_presets] section is not supported (SCALE-Sim ignores it)");
  }
  if (network) {
    if (arch_topo == keys.end() && net_topo == keys.end()) {
      throw ParseError(name, line, "missing key 'TopologyCsvLoc' in [network_presets]");
    }
    if (arch_topo != keys.end() && net_topo != keys.end() && arch_topo->second.value != net_topo->second.value) {
      throw ParseError(name, arch_topo->second.line, "TopologyCsvLoc differs from the one in [network_presets] (line " +
                                                         std::to_string(net_topo->second.line) + ")");
    }
    const Entry& e = arch_topo != keys.end() ? arch_topo->second : net_topo->second;
    const auto q1 = e.value.find('"');
    const auto q2 = q1 == std::string::npos ? q1 : e.value.find('"', q1 + 1);
    const std::string path = q1 == std::string::npos ? "" : e.value.substr(q1 + 1, q2 == std::string::npos ? q2 : q2 - q1 - 1);
    if (path.empty()) throw ParseError(name, e.line, "TopologyCsvLoc must be a path in double quotes, got '" + e.value + "'");
    c.topology_path = path;
  }
  auto sig = keys.find("mercury.signatureunitmacs");
  if (sig != keys.end()) {
    c.mercury.signature_unit_macs = parse_int(sig->second.value, "SignatureUnitMacs", name, sig->second.line);
    if (c.mercury.signature_unit_macs < 0 || c.mercury.signature_unit_macs > (1LL << 40)) {
      throw ParseError(name, sig->second.line, "SignatureUnitMacs must be in [0, 2^40]");
    }
  }
  auto look = keys.find("mercury.lookupcyclespervector");
  if (look != keys.end()) {
    c.mercury.lookup_cycles_per_vector =
        parse_double(look->second.value, "LookupCyclesPerVector", name, look->second.line);
    if (!(c.mercury.lookup_cycles_per_vector >= 0 && c.mercury.lookup_cycles_per_vector <= 1e6)) {
      throw ParseError(name, look->second.line, "LookupCyclesPerVector must be in [0, 1e6]");
    }
  }
  auto reads = keys.find("mercury.reusereadsresults");
  if (reads != keys.end()) {
    const std::string v = lower(reads->second.value);
    if (v != "true" && v != "false") throw ParseError(name, reads->second.line, "ReuseReadsResults must be true or false");
    c.mercury.reuse_reads_results = v == "true";
  }
  return c;
}

Config parse_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ParseError(path, 0, "cannot open config file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_config_text(buffer.str(), path);
}

}  // namespace msim
