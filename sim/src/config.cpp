#include "config.h"

#include "parse_error.h"

#include <algorithm>
#include <fstream>
#include <map>
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

}  // namespace

Config parse_config_text(const std::string& text, const std::string& name) {
  std::map<std::string, Entry> keys;  // "section.key" lower-case
  std::istringstream in(text);
  std::string raw, section;
  int line = 0, content_lines = 0;
  while (std::getline(in, raw)) {
    ++line;
    const std::string s = trim(raw);
    if (s.empty() || s[0] == '#' || s[0] == ';') continue;
    ++content_lines;
    if (s.front() == '[') {
      if (s.back() != ']') throw ParseError(name, line, "unterminated section header '" + s + "'");
      section = lower(trim(s.substr(1, s.size() - 2)));
      if (section != "general" && section != "architecture_presets" && section != "run_presets" &&
          section != "mercury") {
        throw ParseError(name, line, "unknown section [" + section + "]");
      }
      continue;
    }
    const auto sep = s.find_first_of(":=");
    if (sep == std::string::npos) throw ParseError(name, line, "expected 'key: value', got '" + s + "'");
    if (section.empty()) throw ParseError(name, line, "key outside of a [section]");
    keys[section + "." + lower(trim(s.substr(0, sep)))] = Entry{trim(s.substr(sep + 1)), line};
  }
  if (content_lines == 0) throw ParseError(name, line, "empty config file");

  auto need = [&](const std::string& key) -> const Entry& {
    auto it = keys.find(key);
    if (it == keys.end()) throw ParseError(name, line, "missing key '" + key.substr(key.find('.') + 1) + "' in [" +
                                                           key.substr(0, key.find('.')) + "]");
    return it->second;
  };
  auto positive = [&](const std::string& key, long long limit) {
    const Entry& e = need(key);
    const long long v = parse_int(e.value, key, name, e.line);
    if (v <= 0) throw ParseError(name, e.line, key + " must be > 0, got " + std::to_string(v));
    if (v > limit) {  // keeps every product of the model inside 64 bits
      throw ParseError(name, e.line, key + " must be <= " + std::to_string(limit) + ", got " + std::to_string(v));
    }
    return v;
  };
  auto optional_int = [&](const std::string& key, long long fallback) {
    auto it = keys.find(key);
    return it == keys.end() ? fallback : parse_int(it->second.value, key, name, it->second.line);
  };

  Config c;
  if (keys.count("general.run_name")) c.run_name = keys["general.run_name"].value;
  c.array_height = positive("architecture_presets.arrayheight", kMaxArray);
  c.array_width = positive("architecture_presets.arraywidth", kMaxArray);
  c.ifmap_sram_kb = positive("architecture_presets.ifmapsramszkb", kMaxSramKb);
  c.filter_sram_kb = positive("architecture_presets.filtersramszkb", kMaxSramKb);
  c.ofmap_sram_kb = positive("architecture_presets.ofmapsramszkb", kMaxSramKb);
  c.ifmap_offset = optional_int("architecture_presets.ifmapoffset", 0);
  c.filter_offset = optional_int("architecture_presets.filteroffset", 10000000);
  c.ofmap_offset = optional_int("architecture_presets.ofmapoffset", 20000000);
  const Entry& df = need("architecture_presets.dataflow");
  const std::string d = lower(df.value);
  if (d == "ws") c.dataflow = Dataflow::WS;
  else if (d == "os") c.dataflow = Dataflow::OS;
  else if (d == "is") c.dataflow = Dataflow::IS;
  else throw ParseError(name, df.line, "Dataflow must be ws, os or is, got '" + df.value + "'");
  c.bandwidth = keys.count("architecture_presets.bandwidth") ? positive("architecture_presets.bandwidth", kMaxSramKb) : 10;
  c.memory_banks = optional_int("architecture_presets.memorybanks", 1);
  if (c.memory_banks <= 0 || c.memory_banks > kMaxArray) throw ParseError(name, keys["architecture_presets.memorybanks"].line, "MemoryBanks must be in [1, " + std::to_string(kMaxArray) + "]");
  auto ib = keys.find("run_presets.interfacebandwidth");
  if (ib != keys.end()) {
    const std::string mode = lower(ib->second.value);
    if (mode != "calc" && mode != "user") {
      throw ParseError(name, ib->second.line, "InterfaceBandwidth must be CALC or USER, got '" + ib->second.value + "'");
    }
    c.bandwidth_calc = mode == "calc";
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
