// The writers of one simulation's results (simulate.h): SCALE-Sim's three reports, the MERCURY report and its
// totals, and the console table.
#pragma once

#include "energy.h"
#include "simulate.h"
#include "table.h"

#include <ostream>
#include <string>
#include <vector>

namespace msim {

// energy: per layer (energy.h); given, ENERGY_REPORT.csv is written too (energy_report.h).
void write_reports(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, const std::string& dir,
                   const std::vector<LayerEnergy>* energy = nullptr);

}  // namespace msim
