// The console table of one simulation (simulate.h): a row per layer, the TOTAL line, and with --training the step; with energy,
// its columns (uJ, and MERCURY's own structures' share of MERCURY's energy).
#pragma once

#include "energy.h"
#include "simulate.h"

#include <ostream>
#include <vector>

namespace msim {

// energy: per layer (energy.h), or null (no energy columns).
void print_table(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, std::ostream& out,
                 const std::vector<LayerEnergy>* energy = nullptr);

}  // namespace msim
