// The energy table (sim/README.md, "Energy"): energies per action in pJ, in the spirit of Accelergy's energy
// reference tables. `name = value` lines; the defaults (configs/energy/default_45nm.cfg, built in) and a user file
// (mercury-sim --energy FILE) that overrides any entry, or replaces the whole table when its first entry is
// `defaults = none`. Every entry remembers its file and line, so that every later refusal names them.
#pragma once

#include <map>
#include <string>

namespace msim {

struct EnergyEntry {
  double value = 0;
  std::string file;
  int line = 0;
};

struct EnergyTable {
  std::map<std::string, EnergyEntry> entries;
  // Where the table's set of entries was decided: the defaults, or a user file's `defaults = none` line. A
  // component the run needs and the table lacks is refused there.
  std::string origin_file;
  int origin_line = 0;

  // The entry, or ParseError(origin) "the energy table has no 'name' (needed by why)".
  const EnergyEntry& need(const std::string& name, const std::string& why) const;
  // pJ per access of `bits` bits to an SRAM of `kb` kB (reads: the sram_read_<N>kb points; writes: sram_write_):
  // log-log interpolation between the points, the end segments' slopes beyond them within [sram_min_kb,
  // sram_max_kb] (default: the end points), times bits / sram_ref_bits. Outside the range: ParseError at the line
  // of the bound, naming `what`.
  double sram(double kb, long long bits, bool write, const std::string& what) const;
};

// The built-in defaults (the text of configs/energy/default_45nm.cfg, compiled in).
const EnergyTable& default_energy_table();
const char* default_energy_table_name();
// `text` read as an energy file named `name`, on top of `base` (its entries overridden; `defaults = none`, the
// first entry, starts from an empty table). Throws ParseError (name:line): unknown component, duplicate, value
// missing, non-numeric, negative or non-finite, a width not an integer in [1, 4096], an SRAM point not > 0.
EnergyTable parse_energy_text(const std::string& text, const std::string& name, const EnergyTable& base);
// path empty: the defaults; else the file on top of them.
EnergyTable load_energy_table(const std::string& path);

}  // namespace msim
