// SCALE-Sim v3's config keys (scalesim/scale_config.py of scalesim 3.0.0): UseRamulatorTrace, ReadRequestBuffer /
// WriteRequestBuffer, [layout] and [sparsity]. Each is optional here (v2 files keep working); a section that is
// present needs the keys v3 reads from it. Features mercury-sim does not model are refused by name.
#pragma once

#include "config.h"
#include "config_keys.h"

namespace msim {

void read_v3_sections(const ConfigKeys& keys, Config& c);

}  // namespace msim
