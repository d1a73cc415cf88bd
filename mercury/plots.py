"""Figures (matplotlib, Agg): the shared figure helpers and the per-layer plots of one run (hit rate, simulated
speedup, simulated cycles, simulated energy), for mercury.profile's export and the studies."""
import os
from typing import Dict, List


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path: str, saved: List[str]) -> None:
    """Lay out, write (PNG, 110 dpi), close, and add the path to `saved`."""
    plt = pyplot()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    saved.append(path)


def layer_plots(name: str, rows: List[Dict], out: str, label: str, config: str) -> List[str]:
    """hit_rate.png, and with the simulator's figures speedup.png, cycles.png, energy.png, in `out`; `label` is the
    hit-rate plot's subtitle (the model, its inputs, the settings)."""
    plt = pyplot()
    ids = [r["layer_id"] for r in rows]
    n = len(rows)
    width = max(8.0, min(24.0, 0.18 * n + 4))
    tick_step = max(1, n // 40)
    paths = []

    def finish(ax, fig, fname, ylabel):
        ax.set_xlabel("layer id (execution order)")
        ax.set_ylabel(ylabel)
        ax.set_xticks(ids[::tick_step])
        ax.set_xlim(-1, n)
        ax.grid(axis="y", alpha=0.3)
        save_figure(fig, os.path.join(out, fname), paths)

    fig, ax = plt.subplots(figsize=(width, 4))
    ax.bar(ids, [100 * r["hit_rate"] for r in rows], color="tab:blue")
    ax.set_ylim(0, 100)
    ax.set_title(f"MCACHE hit rate per layer - {label}")
    finish(ax, fig, "hit_rate.png", "hit rate (%)")

    if all(r.get("speedup") for r in rows):
        fig, ax = plt.subplots(figsize=(width, 4))
        sp = [r["speedup"] for r in rows]
        ax.bar(ids, sp, color=["tab:green" if s >= 1 else "tab:red" for s in sp])
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_title(f"Simulated speedup per layer (baseline / MERCURY cycles) - {name} (mercury-sim)")
        finish(ax, fig, "speedup.png", "speedup (x)")

        fig, ax = plt.subplots(figsize=(width, 4))
        wbar = 0.4
        ax.bar([i - wbar / 2 for i in ids], [r["baseline_cycles"] for r in rows], wbar, label="baseline")
        ax.bar([i + wbar / 2 for i in ids], [r["mercury_cycles"] for r in rows], wbar, label="MERCURY")
        ax.set_title(f"Simulated cycles per layer - {name} ({os.path.basename(config)}, mercury-sim)")
        ax.legend()
        finish(ax, fig, "cycles.png", "cycles")
    if all(r.get("energy_parts") for r in rows):
        fig, ax = plt.subplots(figsize=(width, 4.5))
        energy_bars(ax, ids, rows)
        ax.set_title(f"Simulated energy per layer - {name} ({os.path.basename(config)}, mercury-sim)\n"
                     f"baseline (left) vs MERCURY (right; hatched: MERCURY's own structures)")
        finish(ax, fig, "energy.png", "energy (uJ)")
    return paths


# Energy parts (ENERGY_REPORT.csv) in stacking order, with their colours.
_PARTS = [("Compute", "compute", "tab:blue"), ("IfmapSram", "ifmap SRAM", "tab:orange"),
          ("FilterSram", "filter SRAM", "tab:green"), ("OfmapSram", "ofmap SRAM", "tab:olive"),
          ("Dram", "DRAM", "tab:gray"), ("Backward", "backward GEMMs", "tab:cyan"),
          ("Signature", "signatures", "tab:red"), ("Lookup", "MCACHE lookups", "tab:purple"),
          ("Fill", "MCACHE fills", "tab:pink")]


def energy_bars(ax, ids: List[int], rows: List[Dict]) -> None:
    """Per layer two stacked bars, baseline and MERCURY, split into the energy parts."""
    wbar = 0.4
    for side, dx in (("baseline", -wbar / 2), ("mercury", wbar / 2)):
        bottom = [0.0] * len(rows)
        for key, label, colour in _PARTS:
            if key not in rows[0]["energy_parts"][side]:
                continue
            v = [r["energy_parts"][side][key] for r in rows]
            ax.bar([i + dx for i in ids], v, wbar, bottom=bottom, color=colour,
                   hatch="//" if key in ("Signature", "Lookup", "Fill") else None,
                   label=label if side == "mercury" else None, edgecolor="white", linewidth=0.3)
            bottom = [b + x for b, x in zip(bottom, v)]
    ax.legend(fontsize=7, ncol=4, framealpha=0.8)
