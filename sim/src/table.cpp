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

// The energy cells (uJ): baseline, and with hit logs MERCURY and its own structures' share (signatures, lookups,
// fills) of MERCURY's energy; with --training, the whole step's.
struct Energy {
  double baseline, mercury, own;
};
Energy energy_of(const LayerEnergy& e, bool step) {
  if (!step) return {e.baseline.total(), e.mercury.total(), e.mercury.own()};
  return {e.step_baseline(), e.step_mercury(), e.mercury.own()};
}
void print_energy_cells(std::ostream& out, const LayerEnergy* e, bool with_mercury, bool step) {
  if (!e) return;
  const Energy en = energy_of(*e, step);
  out << std::setw(13) << format("%.4g", en.baseline * 1e-6);
  if (!with_mercury) return;
  out << std::setw(13) << format("%.4g", en.mercury * 1e-6)
      << std::setw(8) << format("%.1f", en.mercury > 0 ? 100.0 * en.own / en.mercury : 0.0);
}

void print_header(const Config& c, bool with_mercury, bool step, std::ostream& out, bool energy) {
  out << "mercury-sim: " << c.run_name << ", " << c.array_height << "x" << c.array_width << " array, "
      << dataflow_name(c.dataflow) << (step ? ", training step (forward + input gradient + weight gradient)" : "")
      << "\n";
  out << std::setw(4) << "id" << "  " << std::left << std::setw(36) << "layer" << std::right << std::setw(14)
      << (step ? "step cycles" : "cycles");
  if (with_mercury) {
    out << std::setw(9) << "hit %" << std::setw(14) << "MERCURY" << std::setw(12) << "overhead" << std::setw(9)
        << "speedup";
  }
  if (energy) out << std::setw(13) << (step ? "step uJ" : "energy uJ");
  if (energy && with_mercury) out << std::setw(13) << "MERCURY uJ" << std::setw(8) << "own %";
  out << "\n";
}

void print_layer(size_t i, const LayerResult& r, bool with_mercury, bool step, std::ostream& out,
                 const LayerEnergy* e) {
  const Cycles cy = layer_cycles(r, step);
  out << std::setw(4) << i << "  " << std::left << std::setw(36) << r.layer.name.substr(0, 36) << std::right
      << std::setw(14) << cy.baseline;
  if (with_mercury) {
    if (!r.mercury.accelerated) {
      out << "   matmul of activations: baseline only";
    } else if (r.mercury.has_hitlog) {
      print_mercury_cells(out, 100.0 * r.mercury.hit_rate, cy);
    } else {
      out << (e ? "   no hit log: baseline only                 " : "   no hit log: baseline only");
    }
  }
  print_energy_cells(out, e, with_mercury, step);
  out << "\n";
}

void print_total(const LayerTotals& t, bool with_mercury, bool step, std::ostream& out, const LayerEnergy* e) {
  const Cycles cy = total_cycles(t, step);
  out << std::setw(4) << "" << "  " << std::left << std::setw(36) << ("TOTAL (" + std::to_string(t.layers) + " layers)")
      << std::right << std::setw(14) << cy.baseline;
  if (with_mercury) print_mercury_cells(out, t.vectors ? 100.0 * t.hits / t.vectors : 0.0, cy);
  print_energy_cells(out, e, with_mercury, step);
  if (with_mercury) {
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

// The energy totals in words: MERCURY's own structures and the largest MCACHE; with --training the phases.
void print_energy_line(const LayerEnergy& e, bool step, std::ostream& out) {
  const EnergyParts& m = e.mercury;
  out << "energy, uJ: baseline " << format("%.4g", e.baseline.total() * 1e-6) << " -> MERCURY "
      << format("%.4g", m.total() * 1e-6) << " (signatures " << format("%.4g", m.signature * 1e-6) << ", lookups "
      << format("%.4g", m.lookup * 1e-6) << ", fills " << format("%.4g", m.fill * 1e-6) << "); largest MCACHE "
      << format("%.0f", e.mcache_bytes) << " bytes\n";
  if (!step) return;
  out << "step energy, uJ, baseline -> MERCURY: forward " << format("%.4g", e.baseline.total() * 1e-6) << " -> "
      << format("%.4g", m.total() * 1e-6) << ", input gradient " << format("%.4g", e.input_grad_baseline * 1e-6)
      << " -> " << format("%.4g", (e.input_grad_mercury + e.grad_sum) * 1e-6) << ", weight gradient "
      << format("%.4g", e.weight_grad_baseline * 1e-6) << " -> " << format("%.4g", e.weight_grad_mercury * 1e-6)
      << "\n";
}

}  // namespace

void print_table(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, std::ostream& out,
                 const std::vector<LayerEnergy>* energy) {
  const bool step = c.training && with_mercury;
  print_header(c, with_mercury, step, out, energy != nullptr);
  LayerEnergy total_energy;
  for (size_t i = 0; i < results.size(); ++i) {
    print_layer(i, results[i], with_mercury, step, out, energy ? &(*energy)[i] : nullptr);
    if (energy) total_energy += (*energy)[i];
  }
  const LayerTotals totals = sum_layers(results);
  print_total(totals, with_mercury, step, out, energy ? &total_energy : nullptr);
  if (step) print_phases(totals.training, out);
  if (energy && with_mercury) print_energy_line(total_energy, step, out);
  const auto first_order = std::count_if(results.begin(), results.end(),
                                         [](const LayerResult& r) { return !r.memory.exact_reads; });
  if (c.exact_memory && first_order > 0) {
    out << "note: " << first_order << " layer(s) exceed the replay limits and use the first-order memory model\n";
  }
}

}  // namespace msim
