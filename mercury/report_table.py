"""mercury.profile's table (Report.table): one line per layer, the model's total, and what reuse did to the output."""
import os
from typing import Dict, List, Optional

_HEADER = (f"{'layer':<36} {'kind':<7} {'calls':>6} {'hit rate':>8} {'baseline cyc':>14} {'MERCURY cyc':>14} "
           f"{'speedup':>8} {'baseline uJ':>12} {'MERCURY uJ':>12}")


def _cycles(v) -> str:
    return f"{v:14,.0f}" if v is not None else f"{'-':>14}"


def _energy(v) -> str:
    return f"{v:12.4g}" if v is not None else f"{'-':>12}"


def _line(report, row: Dict, name: str, kind: str, calls: str, rate: str) -> str:
    speedup = report.figure(row, "speedup")
    return (f"{name[-36:]:<36} {kind:<7} {calls:>6} {rate:>8} {_cycles(report.figure(row, 'baseline_cycles'))} "
            f"{_cycles(report.figure(row, 'mercury_cycles'))} "
            f"{f'{speedup:7.2f}x' if speedup else '-':>8} {_energy(report.figure(row, 'baseline_energy_uj'))} "
            f"{_energy(report.figure(row, 'mercury_energy_uj'))}")


def _sorted_rows(report, sort_by: Optional[str], row_limit: int) -> List[Dict]:
    from mercury.report import SORT_KEYS
    rows = list(report.layers)
    if sort_by is not None:
        if sort_by not in SORT_KEYS:
            raise ValueError(f"table: sort_by={sort_by!r}: one of {sorted(SORT_KEYS)} or None (execution order)")
        key = SORT_KEYS[sort_by]
        rows.sort(key=lambda r: report.figure(r, key) if report.figure(r, key) is not None else float("-inf"),
                  reverse=True)
    return rows if row_limit is None or row_limit < 0 else rows[:row_limit]


def quality_line(report) -> str:
    """What reuse did to the output: the measure's numbers, or why there are none."""
    if report.quality:
        numbers = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in report.quality.items())
        return f"reuse vs the exact model on the same inputs (compare_exact): {numbers}"
    if not any(r.get("mode") == "reuse" for r in report.layers):
        return "outputs are exact: no layer reused a result (hits are counted only)"
    return "reuse changed the outputs by an amount not measured here: profile with compare_exact=True"


def format_table(report, sort_by: Optional[str], row_limit: int) -> str:
    what = "training steps (forward + input-gradient + weight-gradient GEMMs)" if report.training else "forwards"
    steps = report.steps
    span = f"step {steps[0]}" if len(steps) == 1 else f"steps {steps[0]}-{steps[-1]}" if steps else "no step"
    lines = [f"mercury.profile {report.model}: window {report.window} ({span}, {len(steps)} recorded), simulated as "
             f"{what} per step on {os.path.basename(report.config)}", _HEADER, "-" * len(_HEADER)]
    for r in _sorted_rows(report, sort_by, row_limit):
        rate = "-" if r["kind"] == "matmul" else f"{100 * r['hit_rate']:7.2f}%"
        lines.append(_line(report, r, r["name"], r["kind"], str(r["calls"]) if r["kind"] != "matmul" else "-", rate))
    t = report.totals
    matmuls = sum(1 for r in report.layers if r["kind"] == "matmul")
    shown = f"TOTAL ({len(report.layers) - matmuls} layers" + (f" + {matmuls} matmuls)" if matmuls else ")")
    lines += ["-" * len(_HEADER), _line(report, t, shown, "", str(t["calls"]), f"{100 * t['hit_rate']:7.2f}%")]
    if matmuls:
        lines.append(f"attention's matmuls (two activations, no MERCURY layer) at baseline: "
                     f"{100 * t.get('untouched_share', 0.0):.1f}% of the baseline cycles")
    lines.append(quality_line(report))
    if report.sim_error:
        lines.append(f"simulator failed: {report.sim_error}")
    elif report.simulator:
        lines.append(f"cycles: {report.simulator}")
    return "\n".join(lines)
