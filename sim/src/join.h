// The join of hit logs to topology rows (docs/INTERFACES.md): row i (0-based after the header) is layer id i, a
// name starting with "L<digits>_" must carry that id, and a hit log's geometry must be the row's. A SCALE-Sim row is
// one conv; a grouped conv's row describes one group (channels C/G, filters Cout/G, as the exporter writes it) and
// its group count G comes from the hit log's `groups` column.
#pragma once

#include "hitlog.h"
#include "topology.h"

#include <map>
#include <string>
#include <vector>

namespace msim {

// Sets each joined layer's groups from its hit log. Throws ParseError (topology file:line, or hit log file:line)
// when a row's L<id>_ prefix is not its row index, a depthwise (DP) row's expansion would shift the rows after
// it, or a hit log contradicts its row's structure. Returns warnings: hit logs with no topology row, output sizes
// that differ from the row's (images of another size).
std::vector<std::string> join_hitlogs(std::vector<Layer>& layers, const std::map<long long, LayerHits>& hitlogs,
                                      const std::string& topology_file);

// Only the L<id>_ prefix check (also without hit logs).
void check_layer_ids(const std::vector<Layer>& layers, const std::string& topology_file);

}  // namespace msim
