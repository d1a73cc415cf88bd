#include "table.h"

#include "layer_totals.h"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <string>

namespace msim {
namespace {

// The cycle columns: the overlay's forward, or with --training the layer's training step (forward + input gradient
// + weight gradient), whose overhead is the forward's signatures, lookups and result reads plus the gradient sum.
struct Cycles {
  long long baseline, mercury, overhead;
};
Cycles layer_cycles(const LayerResult& r, bool step) {
  if (!step) return {r.mercury.baseline_cycles, r.mercury.mercury_cycles(), r.mercury.overhead_cycles()};
  return {r.training.step_baseline(), r.training.step_mercury(),
          r.mercury.overhead_cycles() + r.training.grad_sum_cycles};
}
Cycles total_cycles(const LayerTotals& t, bool step) {
  if (!step) return {t.baseline_cycles, t.mercury_cycles, t.overhead_cycles};
  return {t.training.step_baseline(), t.training.step_mercury(), t.overhead_cycles + t.training.grad_sum_cycles};
}

std::string format(const char* spec, double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), spec, v);
  return buf;
}

// The MERCURY cells of a row or of the TOTAL line.
void print_mercury_cells(std::ostream& out, double hit_percent, const Cycles& cy) {
  out << std::setw(9) << format("%.1f", hit_percent) << std::setw(14) << cy.mercury << std::setw(12) << cy.overhead;
  out << std::setw(9) << format("%.2fx", static_cast<double>(cy.baseline) / static_cast<double>(cy.mercury));
}

void print_header(const Config& c, bool with_mercury, bool step, std::ostream& out) {
  out << "mercury-sim: " << c.run_name << ", " << c.array_height << "x" << c.array_width << " array, "
      << dataflow_name(c.dataflow) << (step ? ", training step (forward + input gradient + weight gradient)" : "")
      << "\n";
  out << std::setw(4) << "id" << "  " << std::left << std::setw(36) << "layer" << std::right << std::setw(14)
      << (step ? "step cycles" : "cycles");
  if (with_mercury) {
    out << std::setw(9) << "hit %" << std::setw(14) << "MERCURY" << std::setw(12) << "overhead" << std::setw(9)
        << "speedup";
  }
  out << "\n";
}

void print_layer(size_t i, const LayerResult& r, bool with_mercury, bool step, std::ostream& out) {
  const Cycles cy = layer_cycles(r, step);
  out << std::setw(4) << i << "  " << std::left << std::setw(36) << r.layer.name.substr(0, 36) << std::right
      << std::setw(14) << cy.baseline;
  if (with_mercury) {
    if (!r.mercury.accelerated) {
      out << "   matmul of activations: baseline only";
    } else if (r.mercury.has_hitlog) {
      print_mercury_cells(out, 100.0 * r.mercury.hit_rate, cy);
    } else {
      out << "   no hit log: baseline only";
    }
  }
  out << "\n";
}

void print_total(const LayerTotals& t, bool with_mercury, bool step, std::ostream& out) {
  const Cycles cy = total_cycles(t, step);
  out << std::setw(4) << "" << "  " << std::left << std::setw(36) << ("TOTAL (" + std::to_string(t.layers) + " layers)")
      << std::right << std::setw(14) << cy.baseline;
  if (with_mercury) {
    print_mercury_cells(out, t.vectors ? 100.0 * t.hits / t.vectors : 0.0, cy);
    if (t.without_hitlog()) {
      out << "\nwarning: " << t.without_hitlog() << " layer(s) had no hit log and count at baseline cycles";
    }
    if (t.untouched_cycles) {
      out << "\ncycles MERCURY cannot touch (matmuls of two activations, at baseline): " << t.untouched_cycles
          << " of " << t.baseline_cycles << " baseline cycles ("
          << 100.0 * static_cast<double>(t.untouched_cycles) / static_cast<double>(t.baseline_cycles) << "%)";
    }
  }
  out << "\n";
}

void print_phases(const TrainingResult& t, std::ostream& out) {
  out << "phases, baseline -> MERCURY: forward " << t.forward_baseline << " -> " << t.forward_mercury
      << ", input gradient " << t.input_grad_baseline << " -> " << t.input_grad_mercury << ", weight gradient "
      << t.weight_grad_baseline << " -> " << t.weight_grad_mercury << "\n";
}

}  // namespace

void print_table(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, std::ostream& out) {
  const bool step = c.training && with_mercury;
  print_header(c, with_mercury, step, out);
  for (size_t i = 0; i < results.size(); ++i) print_layer(i, results[i], with_mercury, step, out);
  const LayerTotals totals = sum_layers(results);
  print_total(totals, with_mercury, step, out);
  if (step) print_phases(totals.training, out);
  const auto first_order = std::count_if(results.begin(), results.end(),
                                         [](const LayerResult& r) { return !r.memory.exact_reads; });
  if (c.exact_memory && first_order > 0) {
    out << "note: " << first_order << " layer(s) exceed the replay limits and use the first-order memory model\n";
  }
}

}  // namespace msim
