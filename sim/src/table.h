// The console table of one simulation (simulate.h): a row per layer, the TOTAL line, and with --training the step.
#pragma once

#include "simulate.h"

#include <ostream>
#include <vector>

namespace msim {

void print_table(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, std::ostream& out);

}  // namespace msim
