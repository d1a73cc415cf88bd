#include "report.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace msim {

std::vector<LayerResult> simulate(const std::vector<Layer>& layers, const Config& c,
                                  const std::map<long long, LayerHits>* hitlogs) {
  std::vector<LayerResult> out(layers.size());
  auto one = [&](size_t i) {
    LayerResult& r = out[i];
    r.layer = layers[i];
    r.compute = compute_layer(r.layer, c);
    r.memory = memory_layer(r.layer, r.compute, c);
    const LayerHits* hits = nullptr;
    if (hitlogs) {
      auto it = hitlogs->find(static_cast<long long>(i));  // row i is layer id i
      if (it != hitlogs->end()) {
        hits = &it->second;
        r.hits = it->second;
      }
    }
    r.mercury = mercury_layer(r.layer, c, hits, r.memory.stall_cycles);
    if (c.training) r.training = training_layer(r.layer, c, r.mercury);
  };
  // Layers are independent: the replays run on every core (results land in their own slots, order kept).
  const size_t workers = std::min<size_t>(layers.size(), std::max(1u, std::thread::hardware_concurrency()));
  if (workers <= 1 || !c.exact_memory) {
    for (size_t i = 0; i < layers.size(); ++i) one(i);
    return out;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < layers.size();) {
        try {
          one(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

namespace {

std::ofstream open_report(const std::string& dir, const std::string& name) {
  std::ofstream f(dir + "/" + name);
  if (!f) throw std::runtime_error("cannot write " + dir + "/" + name);
  f << std::setprecision(10);
  return f;
}

// The training step's cycle columns (--training): one per layer in MERCURY_REPORT.csv, summed in MERCURY_TOTAL.csv;
// StepSpeedup follows them.
struct TrainingColumn {
  const char* name;
  long long (*get)(const TrainingResult&);
};
const TrainingColumn kTrainingColumns[] = {
    {"ForwardBaselineCycles", [](const TrainingResult& t) { return t.forward_baseline; }},
    {"ForwardMercuryCycles", [](const TrainingResult& t) { return t.forward_mercury; }},
    {"InputGradBaselineCycles", [](const TrainingResult& t) { return t.input_grad_baseline; }},
    {"InputGradMercuryCycles", [](const TrainingResult& t) { return t.input_grad_mercury; }},
    {"GradSumCycles", [](const TrainingResult& t) { return t.grad_sum_cycles; }},
    {"WeightGradBaselineCycles", [](const TrainingResult& t) { return t.weight_grad_baseline; }},
    {"WeightGradMercuryCycles", [](const TrainingResult& t) { return t.weight_grad_mercury; }},
    {"StepBaselineCycles", [](const TrainingResult& t) { return t.step_baseline(); }},
    {"StepMercuryCycles", [](const TrainingResult& t) { return t.step_mercury(); }},
};

void write_training_header(std::ostream& f) {
  for (const TrainingColumn& col : kTrainingColumns) f << ',' << col.name;
  f << ",StepSpeedup";
}

// The training cells summed over the layers [first, last): one layer's row, or the totals.
void write_training_cells(std::ostream& f, const LayerResult* first, const LayerResult* last) {
  for (const TrainingColumn& col : kTrainingColumns) {
    long long sum = 0;
    for (const LayerResult* r = first; r != last; ++r) sum += col.get(r->training);
    f << ',' << sum;
  }
  long long base = 0, merc = 0;
  for (const LayerResult* r = first; r != last; ++r) {
    base += r->training.step_baseline();
    merc += r->training.step_mercury();
  }
  f << ',' << (merc ? static_cast<double>(base) / static_cast<double>(merc) : 0.0);
}

}  // namespace

void write_reports(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create output directory " + dir + ": " + ec.message());
  const double macs_per_cycle = static_cast<double>(c.array_height * c.array_width);
  std::ofstream compute = open_report(dir, "COMPUTE_REPORT.csv");
  compute << "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,\n";
  std::ofstream bandwidth = open_report(dir, "BANDWIDTH_REPORT.csv");
  bandwidth << "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
               "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
  std::ofstream detail = open_report(dir, "DETAILED_ACCESS_REPORT.csv");
  detail << "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, "
            "SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, "
            "SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
            "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, "
            "DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const long long g = r.layer.groups;
    const long long total = g * r.memory.total_cycles;
    const double util = 100.0 * static_cast<double>(g * r.compute.macs) / (macs_per_cycle * static_cast<double>(total));
    compute << i << ", " << total << ", " << g * r.memory.stall_cycles << ", " << util << ", "
            << r.compute.mapping_efficiency << ", " << r.compute.compute_util << ",\n";
    auto per_cycle = [&](long long words) { return static_cast<double>(g * words) / static_cast<double>(total); };
    // DRAM bandwidth as SCALE-Sim: words over the operand's DRAM span (stop - start + 1) when replayed; else words
    // over the layer's cycles.
    const MemoryResult& mem = r.memory;
    auto dram_bw = [&](long long words, double start, double stop) {
      return mem.exact_reads ? static_cast<double>(words) / (stop - start + 1.0) : per_cycle(words);
    };
    bandwidth << i << ", " << per_cycle(r.compute.ifmap_sram_reads) << ", " << per_cycle(r.compute.filter_sram_reads)
              << ", " << per_cycle(r.compute.ofmap_sram_writes) << ", "
              << dram_bw(mem.ifmap_dram_reads, mem.ifmap_dram_start, mem.ifmap_dram_stop) << ", "
              << dram_bw(mem.filter_dram_reads, mem.filter_dram_start, mem.filter_dram_stop) << ", "
              << dram_bw(mem.ofmap_dram_writes, mem.ofmap_dram_start, mem.ofmap_dram_stop) << ",\n";
    // Start/stop cycles: SCALE-Sim's when replayed, else the layer's span.
    detail << i;
    detail << ", " << mem.ifmap_sram_start << ", " << mem.ifmap_sram_stop << ", " << g * r.compute.ifmap_sram_reads;
    detail << ", " << mem.filter_sram_start << ", " << mem.filter_sram_stop << ", " << g * r.compute.filter_sram_reads;
    detail << ", " << mem.ofmap_sram_start << ", " << mem.ofmap_sram_stop << ", " << g * r.compute.ofmap_sram_writes;
    detail << ", " << mem.ifmap_dram_start << ", " << mem.ifmap_dram_stop << ", " << g * mem.ifmap_dram_reads;
    detail << ", " << mem.filter_dram_start << ", " << mem.filter_dram_stop << ", " << g * mem.filter_dram_reads;
    detail << ", " << mem.ofmap_dram_start << ", " << mem.ofmap_dram_stop << ", " << g * mem.ofmap_dram_writes;
    detail << ",\n";
  }
  if (!with_mercury) return;
  std::ofstream mercury = open_report(dir, "MERCURY_REPORT.csv");
  mercury << "LayerID,LayerName,Groups,HitLog,Calls,Vectors,Hits,HitRate,SigBits,BaselineCycles,StreamedCycles,"
             "SignatureCycles,LookupCycles,ResultReadCycles,OverheadCycles,MercuryCycles,Speedup";
  if (c.training) write_training_header(mercury);
  mercury << '\n';
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const MercuryResult& m = r.mercury;
    mercury << i << ',' << r.layer.name << ',' << r.layer.groups << ',' << (m.has_hitlog ? "yes" : "no hitlog") << ','
            << r.hits.calls << ',' << r.hits.vectors << ',' << r.hits.hits << ',' << m.hit_rate << ','
            << r.hits.sig_bits << ',' << m.baseline_cycles << ',' << (m.has_hitlog ? m.streamed_cycles : m.baseline_cycles)
            << ',' << m.signature_cycles << ',' << m.lookup_cycles << ',' << m.result_read_cycles << ','
            << m.overhead_cycles() << ',' << m.mercury_cycles() << ',' << m.speedup();
    if (c.training) write_training_cells(mercury, &r, &r + 1);
    mercury << '\n';
  }
  // Totals in their own file (MERCURY_REPORT.csv stays one row per layer). Hit rate: sum of hits over sum of
  // vectors of the layers with a hit log; layers without one count at baseline in both cycle columns.
  long long base = 0, merc = 0, overhead = 0, vectors = 0, hits = 0, logged = 0;
  for (const LayerResult& r : results) {
    base += r.mercury.baseline_cycles;
    merc += r.mercury.mercury_cycles();
    overhead += r.mercury.overhead_cycles();
    vectors += r.hits.vectors;
    hits += r.hits.hits;
    logged += r.mercury.has_hitlog;
  }
  std::ofstream total = open_report(dir, "MERCURY_TOTAL.csv");
  total << "Layers,LayersWithHitLog,LayersWithoutHitLog,Vectors,Hits,HitRate,BaselineCycles,OverheadCycles,"
           "MercuryCycles,Speedup";
  if (c.training) write_training_header(total);
  total << '\n'
        << results.size() << ',' << logged << ',' << results.size() - logged << ',' << vectors << ',' << hits << ','
        << (vectors ? static_cast<double>(hits) / static_cast<double>(vectors) : 0.0) << ',' << base << ','
        << overhead << ',' << merc << ',' << (merc ? static_cast<double>(base) / static_cast<double>(merc) : 0.0);
  if (c.training) write_training_cells(total, results.data(), results.data() + results.size());
  total << '\n';
}

void print_table(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, std::ostream& out) {
  // --training: every number is the layer's training step (forward + input gradient + weight gradient); overhead
  // = the forward's signatures, lookups and result reads plus the gradient summation.
  const bool step = c.training && with_mercury;
  auto base_of = [&](const LayerResult& r) { return step ? r.training.step_baseline() : r.mercury.baseline_cycles; };
  auto merc_of = [&](const LayerResult& r) { return step ? r.training.step_mercury() : r.mercury.mercury_cycles(); };
  auto overhead_of = [&](const LayerResult& r) {
    return r.mercury.overhead_cycles() + (step ? r.training.grad_sum_cycles : 0);
  };
  out << "mercury-sim: " << c.run_name << ", " << c.array_height << "x" << c.array_width << " array, "
      << dataflow_name(c.dataflow) << (step ? ", training step (forward + input gradient + weight gradient)" : "")
      << "\n";
  out << std::setw(4) << "id" << "  " << std::left << std::setw(36) << "layer" << std::right << std::setw(14)
      << (step ? "step cycles" : "cycles");
  if (with_mercury) out << std::setw(9) << "hit %" << std::setw(14) << "MERCURY" << std::setw(12) << "overhead" << std::setw(9) << "speedup";
  out << "\n";
  long long base = 0, merc = 0, overhead = 0, vectors = 0, hits = 0, missing = 0;
  char buf[32];
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const MercuryResult& m = r.mercury;
    out << std::setw(4) << i << "  " << std::left << std::setw(36) << r.layer.name.substr(0, 36) << std::right
        << std::setw(14) << base_of(r);
    if (with_mercury) {
      if (m.has_hitlog) {
        std::snprintf(buf, sizeof(buf), "%.1f", 100.0 * m.hit_rate);
        out << std::setw(9) << buf << std::setw(14) << merc_of(r) << std::setw(12) << overhead_of(r);
        std::snprintf(buf, sizeof(buf), "%.2fx", static_cast<double>(base_of(r)) / static_cast<double>(merc_of(r)));
        out << std::setw(9) << buf;
      } else {
        out << "   no hit log: baseline only";
        ++missing;
      }
    }
    out << "\n";
    base += base_of(r);
    merc += merc_of(r);
    overhead += overhead_of(r);
    vectors += r.hits.vectors;
    hits += r.hits.hits;
  }
  out << std::setw(4) << "" << "  " << std::left << std::setw(36) << ("TOTAL (" + std::to_string(results.size()) + " layers)")
      << std::right << std::setw(14) << base;
  if (with_mercury) {
    std::snprintf(buf, sizeof(buf), "%.1f", vectors ? 100.0 * hits / vectors : 0.0);
    out << std::setw(9) << buf << std::setw(14) << merc << std::setw(12) << overhead;
    std::snprintf(buf, sizeof(buf), "%.2fx", static_cast<double>(base) / static_cast<double>(merc));
    out << std::setw(9) << buf;
    if (missing) out << "\nwarning: " << missing << " layer(s) had no hit log and count at baseline cycles";
  }
  out << "\n";
  if (step) {
    long long phase[6] = {};
    for (const LayerResult& r : results) {
      const TrainingResult& t = r.training;
      const long long cells[6] = {t.forward_baseline,    t.forward_mercury,      t.input_grad_baseline,
                                  t.input_grad_mercury,  t.weight_grad_baseline, t.weight_grad_mercury};
      for (int k = 0; k < 6; ++k) phase[k] += cells[k];
    }
    out << "phases, baseline -> MERCURY: forward " << phase[0] << " -> " << phase[1] << ", input gradient " << phase[2]
        << " -> " << phase[3] << ", weight gradient " << phase[4] << " -> " << phase[5] << "\n";
  }
  const auto first_order = std::count_if(results.begin(), results.end(),
                                         [](const LayerResult& r) { return !r.memory.exact_reads; });
  if (c.exact_memory && first_order > 0) {
    out << "note: " << first_order << " layer(s) exceed the replay limits and use the first-order memory model\n";
  }
}

}  // namespace msim
