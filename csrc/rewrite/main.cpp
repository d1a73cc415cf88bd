// mercury-rewrite in.pt out.pt [options]: swaps every 2-D conv of a TorchScript file for mercury::conv2d.
#include "csrc/rewrite/rewrite.h"

#include <fstream>
#include <iostream>

namespace {

constexpr const char* kUsage =
    "usage: mercury-rewrite IN.pt OUT.pt [--mode off|observe|reuse] [--bits N] [--cache-entries N]\n"
    "                       [--cache-ways N] [--vector patch|channel] [--seed N] [--hitmap] [--no-freeze]\n"
    "                       [--layer ID_OR_NAME=key:value[,key:value...]]... [--table FILE.csv]\n"
    "Layer ids are execution order (graph order after inlining and freezing); --layer overrides settings of one\n"
    "layer by id (e.g. 3=mode:off) or qualified module name (e.g. layer1.0.conv2=bits:32).\n";

struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

void parse_layer_override(const std::string& spec, mercury::rewrite::RewriteConfig& config) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError("--layer needs ID_OR_NAME=key:value, got '" + spec + "'");
  const std::string target = spec.substr(0, eq);
  std::map<std::string, std::string> overrides;
  std::string rest = spec.substr(eq + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string item = rest.substr(0, comma);
    const auto colon = item.find(':');
    if (colon == std::string::npos) throw UsageError("--layer setting needs key:value, got '" + item + "'");
    overrides[item.substr(0, colon)] = item.substr(colon + 1);
    mercury::rewrite::LayerSettings().set(item.substr(0, colon), item.substr(colon + 1));  // validate now
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
  }
  const bool numeric = target.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) {
    config.by_id[std::stoll(target)] = overrides;
  } else {
    config.by_name[target] = overrides;
  }
}

}  // namespace

int main(int argc, char** argv) {
  mercury::rewrite::RewriteConfig config;
  std::vector<std::string> positional;
  std::string table_path;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw UsageError(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "-h" || arg == "--help") {
        std::cout << kUsage;
        return 0;
      } else if (arg == "--mode") {
        config.defaults.set("mode", value());
      } else if (arg == "--bits") {
        config.defaults.set("sig_bits", value());
      } else if (arg == "--cache-entries") {
        config.defaults.set("cache_entries", value());
      } else if (arg == "--cache-ways") {
        config.defaults.set("cache_ways", value());
      } else if (arg == "--vector") {
        config.defaults.set("vector", value());
      } else if (arg == "--seed") {
        config.defaults.set("seed", value());
      } else if (arg == "--hitmap") {
        config.defaults.record_hitmap = true;
      } else if (arg == "--no-freeze") {
        config.freeze = false;
      } else if (arg == "--layer") {
        parse_layer_override(value(), config);
      } else if (arg == "--table") {
        table_path = value();
      } else if (!arg.empty() && arg[0] == '-') {
        throw UsageError("unknown option " + arg);
      } else {
        positional.push_back(arg);
      }
    }
    if (positional.size() != 2) throw UsageError("expected IN.pt and OUT.pt");
  } catch (const std::invalid_argument& e) {
    std::cerr << "mercury-rewrite: " << e.what() << "\n" << kUsage;
    return 2;
  }

  try {
    torch::jit::Module module = torch::jit::load(positional[0]);
    module.eval();
    const auto result = mercury::rewrite::rewrite_module(module, config);
    result.module.save(positional[1]);
    for (const auto& w : result.warnings) std::cerr << "mercury-rewrite: warning: " << w << "\n";
    const std::string table = mercury::rewrite::layer_table_csv(result.layers);
    if (!table_path.empty()) {
      std::ofstream(table_path) << table;
    }
    std::cout << table << "rewrote " << result.layers.size() << " conv layers: " << positional[0] << " -> "
              << positional[1] << "\n";
  } catch (const c10::Error& e) {
    std::cerr << "mercury-rewrite: error: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "mercury-rewrite: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
