// Hit logs written with the current names (hitlog-NNN.csv; columns vectors, sig_bits, vector_kind) read the same as
// older ones (hitmap-NNN.csv; S0, S1, vector); a layer with one file of each name is an error.
#include "hitlog.h"
#include "hitlog_topology.h"
#include "layer_totals.h"
#include "report.h"
#include "simulate.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

namespace {

using msim_test::error_of;
using msim_test::kConfigs;
using msim_test::kFixtures;
using msim_test::read_text;

// The old fixture logs of hitlog_net rewritten with the current file and column names.
std::string renamed_copy(const std::string& tag) {
  const std::string dir = ::testing::TempDir() + "msim_hitlog_names_" + tag;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (int id = 0; id < 4; ++id) {
    std::string text = read_text(kFixtures + "/hitlog_net/hitmap-00" + std::to_string(id) + ".csv");
    const size_t eol = text.find('\n');
    std::string header = text.substr(0, eol);
    header = std::regex_replace(header, std::regex("(^|,)S0(,|$)"), "$1vectors$2");
    header = std::regex_replace(header, std::regex("(^|,)S1(,|$)"), "$1sig_bits$2");
    header = std::regex_replace(header, std::regex("(^|,)vector(,|$)"), "$1vector_kind$2");
    EXPECT_NE(header.find(",vectors,sig_bits,"), std::string::npos);
    std::ofstream(dir + "/hitlog-00" + std::to_string(id) + ".csv") << header << text.substr(eol);
  }
  return dir;
}

// Each directory's layers built from its logs' geometry (as mercury-sim -m without -t), simulated and reported.
std::string reports_of(const std::string& hitlog_dir, const std::string& tag) {
  const msim::Config c = msim::parse_config(kConfigs + "/eyeriss_ws.cfg");
  const auto logs = msim::read_hitlog_dir(hitlog_dir);
  const auto results = msim::simulate(msim::layers_from_hitlogs(logs, hitlog_dir), c, &logs);
  EXPECT_EQ(msim::sum_layers(results).with_hitlog, 4);
  const std::string out = ::testing::TempDir() + "msim_hitlog_names_reports_" + tag;
  msim::write_reports(results, c, true, out);
  return out;
}

TEST(HitLogNames, NewNamesReadTheSameAsTheOldOnes) {
  const std::string old_reports = reports_of(kFixtures + "/hitlog_net", "old");
  const std::string new_reports = reports_of(renamed_copy("same"), "new");
  for (const char* f : {"COMPUTE_REPORT.csv", "MERCURY_REPORT.csv", "MERCURY_TOTAL.csv"}) {
    const std::string text = read_text(old_reports + "/" + f);
    EXPECT_FALSE(text.empty()) << f;
    EXPECT_EQ(read_text(new_reports + "/" + f), text) << f;
  }
}

TEST(HitLogNames, OneLayerInTwoFilesOrOneColumnTwiceIsAnError) {
  const std::string dir = renamed_copy("both");
  std::filesystem::copy_file(kFixtures + "/hitlog_net/hitmap-001.csv", dir + "/hitmap-001.csv");
  EXPECT_EQ(error_of([&] { msim::read_hitlog_dir(dir); }),
            dir + ":0: layer id 1 has two hit logs: hitlog-001.csv and hitmap-001.csv");
  EXPECT_EQ(error_of([] { msim::parse_hitlog_text("S0,vectors,sig_bits,hits,misses\n", "two.csv"); }),
            "two.csv:1: hit log header has both 'S0' and its new name 'vectors'");
}

}  // namespace
