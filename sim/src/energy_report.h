// ENERGY_REPORT.csv: a row per layer and a TOTAL row, energies in uJ, baseline and MERCURY side by side
// (sim/README.md, "Energy"); with --training also each GEMM of the step.
#pragma once

#include "energy.h"

#include <string>
#include <vector>

namespace msim {

void write_energy_report(const std::vector<LayerResult>& results, const std::vector<LayerEnergy>& energy,
                         const Config& c, const std::string& dir);

}  // namespace msim
