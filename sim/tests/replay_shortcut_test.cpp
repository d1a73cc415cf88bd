// The CALC replay's shortcuts (operands proved to miss everywhere, counted per row; settled folds skipped) give
// exactly the numbers of the address-by-address replay, and do fire on the layers they are meant for.
#include "all_miss.h"
#include "config.h"
#include "cycle_replay.h"
#include "operand_schedule.h"
#include "test_util.h"
#include "topology.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using msim_test::array_config;

// ResNet-like layers: 1x1 and 3x3 with channels above and below 2R, a strided one, conv1's 3 channels, a layer
// whose SCALE-Sim windows run past the ifmap edge, and layers with different strides per axis.
const char* kLayers =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
    "a,28,28,1,1,64,64,1,\n"
    "b,30,30,3,3,64,64,1,\n"
    "c,16,16,3,3,16,96,1,\n"
    "d,29,29,3,3,32,48,2,\n"
    "e,47,47,7,7,3,16,2,\n"
    "f,14,14,1,1,256,32,1,\n"
    "g,20,20,3,3,8,8,2,\n"
    "h,21,30,3,3,16,24,1,2,\n"   // per-axis strides (ninth column)
    "i,25,20,3,3,24,16,2,1,\n";

void expect_same(const msim::MemoryResult& a, const msim::MemoryResult& b) {
  EXPECT_EQ(a.total_cycles, b.total_cycles);
  EXPECT_EQ(a.stall_cycles, b.stall_cycles);
  EXPECT_EQ(a.ifmap_dram_reads, b.ifmap_dram_reads);
  EXPECT_EQ(a.filter_dram_reads, b.filter_dram_reads);
  EXPECT_EQ(a.ofmap_dram_writes, b.ofmap_dram_writes);
  EXPECT_EQ(a.ifmap_dram_start, b.ifmap_dram_start);
  EXPECT_EQ(a.ifmap_dram_stop, b.ifmap_dram_stop);
  EXPECT_EQ(a.filter_dram_start, b.filter_dram_start);
  EXPECT_EQ(a.filter_dram_stop, b.filter_dram_stop);
  EXPECT_EQ(a.ifmap_sram_start, b.ifmap_sram_start);
  EXPECT_EQ(a.ifmap_sram_stop, b.ifmap_sram_stop);
  EXPECT_EQ(a.filter_sram_start, b.filter_sram_start);
  EXPECT_EQ(a.filter_sram_stop, b.filter_sram_stop);
}

TEST(ReplayShortcuts, IdenticalToTheFullReplay) {
  const auto layers = msim::parse_topology_text(kLayers, "shortcut.csv");
  long long bulk = 0, settled = 0, cases = 0;
  for (const char* df : {"ws", "os", "is"}) {
    for (const auto& shape : {std::make_tuple(12LL, 14LL, 4LL), std::make_tuple(8LL, 8LL, 2LL),
                              std::make_tuple(32LL, 32LL, 36LL)}) {
      auto c = array_config(df, std::get<0>(shape), std::get<1>(shape), std::get<2>(shape));
      for (const auto& l : layers) {
        SCOPED_TRACE(std::string(df) + " " + std::to_string(c.array_height) + "x" + std::to_string(c.array_width) +
                     " " + std::to_string(c.ifmap_sram_kb) + "KB layer " + l.name);
        c.replay_shortcuts = true;
        const auto fast = msim::replay_memory(l, c);
        c.replay_shortcuts = false;
        const auto full = msim::replay_memory(l, c);
        expect_same(fast, full);
        bulk += fast.ifmap_bulk + fast.filter_bulk;
        settled += fast.ifmap_settled_folds + fast.filter_settled_folds;
        ++cases;
      }
    }
  }
  EXPECT_GT(bulk, cases / 4);  // the shortcuts are exercised, not just allowed
  EXPECT_GT(settled, 100);
}

TEST(ReplayShortcuts, ProofRefusesAliasingAndCloseRepeats) {
  const auto c = array_config("ws", 12, 14, 4);  // B = 50 * floor(4096 / 100) = 2000
  const auto layers = msim::parse_topology_text(kLayers, "shortcut.csv");
  EXPECT_TRUE(msim::ifmap_all_miss(layers[0], c));   // 1x1, 784 px x 12 per fold: far apart
  EXPECT_TRUE(msim::ifmap_all_miss(layers[1], c));   // 3x3, 64 >= 2R channels: chunks never share a channel
  EXPECT_FALSE(msim::ifmap_all_miss(layers[4], c));  // 3 channels: one chunk holds several taps of a channel
  EXPECT_TRUE(msim::filter_all_miss(layers[1], c));  // ws filters are read once
  // A 1x1 layer whose whole ifmap fits the buffer: the next col fold re-reads it within B accesses.
  const auto tiny = msim::parse_topology_text(kLayers, "t.csv")[5];  // 14x14x256 = 50176 words, > B: all miss
  EXPECT_TRUE(msim::ifmap_all_miss(tiny, c));
  const auto small = msim::parse_topology_text(
      "name,H,W,FH,FW,C,N,S\ns,6,6,1,1,16,64,1,\n", "s.csv")[0];  // 576 words re-read every col fold
  EXPECT_FALSE(msim::ifmap_all_miss(small, c));
}

// The closed-form row counts the quiet-row shortcut jumps with equal the rows the replay walks, fold by fold.
TEST(ReplayShortcuts, RowCountsMatchTheWalkedRows) {
  const auto layers = msim::parse_topology_text(kLayers, "shortcut.csv");
  for (const char* df : {"ws", "os", "is"}) {
    const auto c = array_config(df, 12, 14, 4);
    for (const auto& l : layers) {
      for (const auto operand : {msim::Operand::Ifmap, msim::Operand::Filter}) {
        const msim::OperandSchedule s(l, c, operand);
        const long long rows = 2 * c.array_height + c.array_width + msim::map_layer(l, c.dataflow).t;  // > a fold
        for (long long fc = 0; fc < s.col_folds(); fc += 3) {
          for (long long fr = 0; fr < s.row_folds(); fr += 2) {
            SCOPED_TRACE(std::string(df) + " " + l.name + " fold " + std::to_string(fr) + "," + std::to_string(fc));
            const msim::RowCounts rc = s.counts(fr, fc);
            long long sum = 0;
            for (long long tt = 0; tt < rows; ++tt) {
              ASSERT_EQ(rc.at(tt), s.row(fr, fc, tt).count()) << "row " << tt;
              ASSERT_EQ(rc.before(tt), sum) << "row " << tt;
              sum += rc.at(tt);
            }
            EXPECT_EQ(sum, s.block(fr, fc).accesses());  // a fold reads its block once
            EXPECT_EQ(rc.last_within(0, rows, sum / 2), rc.before(rows) <= sum / 2 ? rows : [&] {
              long long e = 0;
              while (rc.before(e + 1) <= sum / 2) ++e;
              return e;
            }());
          }
        }
      }
    }
  }
}

}  // namespace
