// Helpers shared by the simulator's tests: error text of a ParseError, inline configs, SCALE-Sim report reading.
#pragma once

#include "config.h"
#include "parse_error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace msim_test {

inline const std::string kFixtures = MSIM_FIXTURES;                  // sim/tests/fixtures
inline const std::string kConfigs = kFixtures + "/../../../configs";  // the shipped configs

// The ParseError message f() throws, or "(no error)".
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const msim::ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

// EXPECT_TRUE(contains(error_of(...), "file:line: ...")): on failure the message shows the whole error.
inline ::testing::AssertionResult contains(const std::string& error, const std::string& expected) {
  if (error.find(expected) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "error '" << error << "' does not contain '" << expected << "'";
}

// An R x C array with `kb` KB SRAMs per operand and CALC interfaces.
inline msim::Config array_config(const std::string& dataflow, long long rows, long long cols, long long kb) {
  return msim::parse_config_text("[architecture_presets]\nArrayHeight: " + std::to_string(rows) + "\nArrayWidth: " +
                                     std::to_string(cols) + "\nIfmapSramSzkB: " + std::to_string(kb) +
                                     "\nFilterSramSzkB: " + std::to_string(kb) + "\nOfmapSramSzkB: " +
                                     std::to_string(kb) + "\nDataflow: " + dataflow + "\n",
                                 "inline.cfg");
}

// A SCALE-Sim report (header skipped) as numbers, one vector per layer.
inline std::vector<std::vector<double>> read_report(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream s(line);
    std::string f;
    while (std::getline(s, f, ',')) {
      if (f.find_first_not_of(" \t\r") != std::string::npos) row.push_back(std::stod(f));
    }
    if (!row.empty()) rows.push_back(row);
  }
  return rows;
}

// A report's cells (header included), one vector per line, trimmed.
inline std::vector<std::vector<std::string>> read_cells(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> row;
    std::stringstream s(line);
    std::string f;
    while (std::getline(s, f, ',')) row.push_back(msim::trim(f));
    if (!row.empty() && row.back().empty()) row.pop_back();  // the trailing ',' (and v3's ', ')
    rows.push_back(row);
  }
  return rows;
}

// Every cell of two reports: the header and text cells equal, numbers equal to 1e-9 relative.
inline void expect_same_cells(const std::string& ours_path, const std::string& theirs_path, const std::string& label) {
  const auto ours = read_cells(ours_path), theirs = read_cells(theirs_path);
  ASSERT_EQ(ours.size(), theirs.size()) << label;
  for (size_t i = 0; i < theirs.size(); ++i) {
    ASSERT_EQ(ours[i].size(), theirs[i].size()) << label << " line " << i;
    for (size_t k = 0; k < theirs[i].size(); ++k) {
      char* end = nullptr;
      const double t = std::strtod(theirs[i][k].c_str(), &end);
      if (i == 0 || theirs[i][k].empty() || *end != '\0') {
        EXPECT_EQ(ours[i][k], theirs[i][k]) << label << " line " << i << " column " << k;
      } else {
        EXPECT_NEAR(std::stod(ours[i][k]), t, 1e-9 * std::max(1.0, std::abs(t)))
            << label << " line " << i << " column " << k;
      }
    }
  }
}

// The whole text of a file ("" when it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace msim_test
