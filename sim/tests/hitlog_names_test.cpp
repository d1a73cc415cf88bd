// Hit logs written with the current names (hitlog-NNN.csv; columns vectors, sig_bits, vector_kind) read the same as
// older ones (hitmap-NNN.csv; S0, S1, vector); a layer with one file of each name is an error.
#include "hitlog.h"
#include "layer_totals.h"
#include "simulate.h"
#include "test_util.h"
#include "topology.h"

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

TEST(HitLogNames, NewNamesReadTheSameAsTheOldOnes) {
  const auto old_logs = msim::read_hitlog_dir(kFixtures + "/hitlog_net");
  const auto new_logs = msim::read_hitlog_dir(renamed_copy("same"));
  ASSERT_EQ(new_logs.size(), old_logs.size());
  for (const auto& [id, h] : old_logs) {
    const msim::LayerHits& n = new_logs.at(id);
    EXPECT_EQ(n.calls, h.calls);
    EXPECT_EQ(n.vectors, h.vectors);
    EXPECT_EQ(n.hits, h.hits);
    EXPECT_EQ(n.sig_bits, h.sig_bits);
    EXPECT_EQ(n.vector, h.vector);
    EXPECT_EQ(n.groups, h.groups);
  }
  const msim::Config c = msim::parse_config(kConfigs + "/eyeriss_ws.cfg");
  const auto layers = msim::parse_topology(kFixtures + "/hitlog_net.csv");
  const msim::LayerTotals a = msim::sum_layers(msim::simulate(layers, c, &old_logs));
  const msim::LayerTotals b = msim::sum_layers(msim::simulate(layers, c, &new_logs));
  EXPECT_EQ(a.with_hitlog, 4);
  EXPECT_EQ(b.with_hitlog, a.with_hitlog);
  EXPECT_EQ(b.vectors, a.vectors);
  EXPECT_EQ(b.hits, a.hits);
  EXPECT_EQ(b.baseline_cycles, a.baseline_cycles);
  EXPECT_EQ(b.mercury_cycles, a.mercury_cycles);
  EXPECT_EQ(b.overhead_cycles, a.overhead_cycles);
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
