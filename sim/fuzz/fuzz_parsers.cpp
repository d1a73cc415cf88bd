// libFuzzer target: the config, topology and hit-log parsers must reject any input with a ParseError, never crash.
#include "config.h"
#include "hitlog.h"
#include "parse_error.h"
#include "topology.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    msim::parse_config_text(text, "fuzz.cfg");
  } catch (const msim::ParseError&) {
  }
  try {
    for (const msim::Layer& l : msim::parse_topology_text(text, "fuzz.csv")) {
      (void)l.ofmap_px();
    }
  } catch (const msim::ParseError&) {
  }
  try {
    msim::parse_hitlog_text(text, "hitmap-000.csv");
  } catch (const msim::ParseError&) {
  }
  return 0;
}
