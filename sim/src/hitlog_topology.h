// The network's layers from its hit logs alone (mercury-sim -m DIR without -t): each hitmap-NNN.csv carries its
// layer's geometry, so the topology is what models/topology.py's exporter would write for it (ConvLayer.conv_row):
// layer id i is row i, named L<id:03d>; IFMAP = (out - 1) * stride + effective kernel, filter = the effective kernel
// d (k - 1) + 1, channels C / G, filters Cout / G, per-axis strides; the groups G (each simulated as one layer,
// cycles times G) come from the `groups` column.
#pragma once

#include "hitlog.h"
#include "topology.h"

#include <map>
#include <string>
#include <vector>

namespace msim {

// Throws ParseError naming the hit log (file:line of its first call) for a missing or inconsistent geometry column,
// or naming the directory and the missing id when the layer ids are not 0 .. L - 1.
std::vector<Layer> layers_from_hitlogs(const std::map<long long, LayerHits>& hitlogs, const std::string& dir);

}  // namespace msim
