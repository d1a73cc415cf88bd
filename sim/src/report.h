// The writers of one simulation's results (simulate.h): SCALE-Sim's three reports, the MERCURY report and its
// totals, and the console table.
#pragma once

#include "simulate.h"

#include <ostream>
#include <string>
#include <vector>

namespace msim {

void write_reports(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, const std::string& dir);
void print_table(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, std::ostream& out);

}  // namespace msim
