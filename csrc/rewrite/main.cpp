// mercury-rewrite in.pt out.pt [options]: swaps every 2-D conv of a TorchScript file for mercury::conv2d.
#include "csrc/rewrite/rewrite.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>

namespace {

// "--sig-bits" for "sig_bits": every setting of the table is a flag with the same name as in the Python CLIs.
std::string flag_of(const std::string& setting) {
  std::string flag = "--" + setting;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string usage() {
  std::string u = "usage: mercury-rewrite IN.pt OUT.pt [settings] [--no-freeze] [--kinds conv2d,linear]\n"
                   "                       [--layer ID_OR_NAME=key:value[,key:value...]]... [--table FILE.csv]\n"
                   "settings (defaults for every layer):\n";
  for (const mercury::SettingSpec& s : mercury::settings_table()) {
    std::string values = s.type == mercury::SettingType::Bool ? "" : " " + s.default_value;
    if (s.type == mercury::SettingType::Int) {
      values = " N (" + std::to_string(s.min) + ".." + std::to_string(s.max) + ", default " + s.default_value + ")";
    } else if (s.type == mercury::SettingType::Float) {
      values = " X (default " + s.default_value + ")";
    } else if (s.type == mercury::SettingType::Str) {
      values = " ";
      for (size_t i = 0; i < s.choices.size(); ++i) values += (i ? "|" : "") + s.choices[i];
      values += " (default " + s.default_value + ")";
    }
    u += "  " + flag_of(s.name) + values + ": " + s.help + "\n";
  }
  return u + "--kinds: which layers to rewrite: conv2d (the default: every 2-D conv) and/or linear (aten::linear, and\n"
             "aten::matmul/addmm with a weight operand); one numbering for both.\n"
             "Layer ids are execution order (graph order after inlining and freezing); --layer overrides settings of\n"
             "one layer by id (e.g. 3=mode:off) or qualified module name (e.g. layer1.0.conv2=sig_bits:32). An id or\n"
             "name that matches no layer is an error.\n";
}

// "a,b,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (char ch : text + ",") {
    if (ch != ',') {
      item += ch;
    } else if (!item.empty()) {
      out.push_back(item);
      item.clear();
    }
  }
  return out;
}

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
    const std::string key = item.substr(0, colon);
    overrides[key] = mercury::check_setting(key, item.substr(colon + 1));
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
  }
  const bool numeric = target.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) {
    config.by_id[std::stoll(target)] = overrides;
  } else {
    config.by_name[target] = overrides;
  }
}

// Sets the setting whose flag is `arg`; false when `arg` is no setting flag.
bool parse_setting_flag(const std::string& arg, const std::function<std::string()>& value,
                        mercury::rewrite::RewriteConfig& config) {
  for (const mercury::SettingSpec& s : mercury::settings_table()) {
    if (arg != flag_of(s.name)) continue;
    config.defaults.set(s.name, s.type == mercury::SettingType::Bool ? "true" : value());
    return true;
  }
  return false;
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
        std::cout << usage();
        return 0;
      } else if (parse_setting_flag(arg, value, config)) {
        continue;
      } else if (arg == "--no-freeze") {
        config.freeze = false;
      } else if (arg == "--kinds") {
        mercury::rewrite::set_kinds(config, split_list(value()));
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
    config.defaults.check_combination();
  } catch (const std::invalid_argument& e) {
    std::cerr << "mercury-rewrite: " << e.what() << "\n" << usage();
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
    const auto convs = std::count_if(result.layers.begin(), result.layers.end(),
                                     [](const mercury::rewrite::LayerInfo& l) { return l.kind == "conv2d"; });
    std::cout << table << "rewrote " << result.layers.size() << " layers (" << convs << " conv2d, "
              << result.layers.size() - convs << " linear): " << positional[0] << " -> " << positional[1] << "\n";
  } catch (const c10::Error& e) {
    std::cerr << "mercury-rewrite: error: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "mercury-rewrite: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
