#include "config_keys.h"

#include "parse_error.h"

#include <algorithm>
#include <sstream>

namespace msim {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

namespace {

// Keys per section (lower case, as configparser matches them). Any other key or section is a ParseError.
// SCALE-Sim v3 added ReadRequestBuffer / WriteRequestBuffer (Ramulator's request queues), UseRamulatorTrace and the
// [layout] and [sparsity] sections (config_v3.cpp reads them).
const std::map<std::string, std::set<std::string>>& known_keys() {
  static const std::map<std::string, std::set<std::string>> keys = {
      {"general", {"run_name"}},
      {"architecture_presets",
       {"arrayheight", "arraywidth", "ifmapsramszkb", "filtersramszkb", "ofmapsramszkb", "ifmapoffset", "filteroffset",
        "ofmapoffset", "dataflow", "bandwidth", "memorybanks", "topologycsvloc", "readrequestbuffer",
        "writerequestbuffer"}},
      {"run_presets", {"interfacebandwidth", "useramulatortrace"}},
      {"network_presets", {"topologycsvloc"}},
      {"layout",
       {"ifmapcustomlayout", "filtercustomlayout", "ifmapsrambankbandwidth", "filtersrambankbandwidth",
        "ifmapsrambanknum", "filtersrambanknum", "ifmapsrambankport", "filtersrambankport"}},
      {"sparsity", {"sparsitysupport", "sparserep", "optimizedmapping", "blocksize", "randomnumbergeneratorseed"}},
      {"mercury", {"signatureunitmacs", "lookupcyclespervector", "reusereadsresults", "cacheentries", "cacheways",
                   "sparsityratio"}},
  };
  return keys;
}

// The keys SCALE-Sim v3's Accelergy run adds to a config (README_accelergy.md): refused by name, in any section.
bool accelergy_key(const std::string& key) {
  return key == "sram_row_size" || key == "sram_bank_size" || key == "dram_row_size" || key == "dram_bank_size";
}

size_t indent_of(const std::string& raw) { return raw.find_first_not_of(" \t"); }

}  // namespace

ConfigKeys::ConfigKeys(const std::string& text, const std::string& name) : name_(name), key_indent_(std::string::npos) {
  std::istringstream in(text);
  std::string raw;
  int content_lines = 0;
  while (std::getline(in, raw)) {
    ++line_;
    const std::string s = trim(raw);
    if (s.empty() || s[0] == '#' || s[0] == ';') continue;
    ++content_lines;
    if (key_indent_ != std::string::npos && indent_of(raw) > key_indent_) {
      fail(line_, "continuation lines (multi-line values) are not supported");
    }
    if (s.front() == '[') {
      add_section(s);
    } else {
      add_key(s, raw);
    }
  }
  if (content_lines == 0) fail(line_, "empty config file");
}

void ConfigKeys::fail(int line, const std::string& message) const { throw ParseError(name_, line, message); }

int ConfigKeys::section_line(const std::string& section) const {
  auto it = sections_.find(section);
  return it == sections_.end() ? 0 : it->second;
}

const Entry& ConfigKeys::need(const std::string& key) const {
  if (const Entry* e = find(key)) return *e;
  fail(line_, "missing key '" + key.substr(key.find('.') + 1) + "' in [" + key.substr(0, key.find('.')) + "]");
}

long long ConfigKeys::bounded(const std::string& key, const std::string& value, int at, long long limit) const {
  const long long v = parse_int(value, key, name_, at);
  if (v <= 0) fail(at, key + " must be > 0, got " + std::to_string(v));
  if (v > limit) fail(at, key + " must be <= " + std::to_string(limit) + ", got " + std::to_string(v));
  return v;
}

// "[name]"
void ConfigKeys::add_section(const std::string& s) {
  if (s.back() != ']') fail(line_, "unterminated section header '" + s + "'");
  const std::string header = trim(s.substr(1, s.size() - 2));
  if (header == "DEFAULT") fail(line_, "the [DEFAULT] section is not supported");
  section_ = lower(header);
  if (!known_keys().count(section_)) fail(line_, "unknown section [" + header + "]");
  if (!sections_.emplace(section_, line_).second) fail(line_, "duplicate section [" + header + "]");
  key_indent_ = std::string::npos;
}

// "key: value" or "key = value"
void ConfigKeys::add_key(const std::string& s, const std::string& raw) {
  const auto sep = s.find_first_of(":=");
  if (sep == std::string::npos) fail(line_, "expected 'key: value', got '" + s + "'");
  if (section_.empty()) fail(line_, "key outside of a [section]");
  const std::string key = lower(trim(s.substr(0, sep))), value = trim(s.substr(sep + 1));
  if (accelergy_key(key)) {
    fail(line_, "'" + trim(s.substr(0, sep)) + "' is an Accelergy setting: SCALE-Sim v3's Accelergy energy run is not "
                "modeled (it is a separate tool, not in the scalesim wheel); mercury-sim prices energy itself "
                "(ENERGY_REPORT.csv, --energy)");
  }
  if (!known_keys().at(section_).count(key)) {
    fail(line_, "unknown key '" + trim(s.substr(0, sep)) + "' in [" + section_ + "] (not supported)");
  }
  if (value.find('%') != std::string::npos) fail(line_, "'%' in a value (configparser interpolation) is not supported");
  if (!keys_.emplace(section_ + "." + key, Entry{value, line_}).second) {
    fail(line_, "duplicate key '" + key + "' in [" + section_ + "]");
  }
  key_indent_ = indent_of(raw);
}

}  // namespace msim
