"""The training study's figures: loss, test accuracy and simulated step speedup per variant; per-layer hit rates
over the steps; the adaptive policy's decisions; the simulated step energy per layer (baseline vs MERCURY)."""
import os
from typing import Dict, List, Optional

from mercury.plots import energy_bars, pyplot, save_figure

VARIANT_COLORS = {"baseline": "tab:blue", "mercury": "tab:orange", "adaptive": "tab:green"}  # the same in every panel


def label_axes(ax, xlabel: str, ylabel: str, title: str, xticks: Optional[List[int]] = None) -> None:
    if xticks is not None:
        ax.set_xticks(xticks)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax.grid(alpha=0.3)


def plot_pair(model_name: str, dataset: str, results: List[Dict], out: str) -> List[str]:
    plt = pyplot()
    paths = []
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(18, 4))
    for r in results:
        ls = r["losses"]
        k = max(1, len(ls) // 50)
        smooth = [sum(ls[max(0, i - k + 1):i + 1]) / len(ls[max(0, i - k + 1):i + 1]) for i in range(len(ls))]
        a1.plot(range(1, len(ls) + 1), smooth, label=r["variant"], color=VARIANT_COLORS[r["variant"]])
        a2.plot([e["epoch"] for e in r["epochs"]], [100 * e["test_acc"] for e in r["epochs"]], marker="o",
                label=r["variant"], color=VARIANT_COLORS[r["variant"]])
    epochs = [e["epoch"] for e in results[0]["epochs"]]
    label_axes(a1, "training step", f"training loss (moving average, {k} steps)",
               f"{model_name} on {dataset}: training loss")
    label_axes(a2, "epoch", "test accuracy (%), exact conv at inference", f"{model_name} on {dataset}: test accuracy",
               epochs)
    for r in results:
        pts = [(e["epoch"], e["sim_step_speedup"]) for e in r["epochs"] if e.get("sim_step_speedup")]
        if pts:
            a3.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=r["variant"],
                    color=VARIANT_COLORS[r["variant"]])
    a3.axhline(1.0, color="grey", lw=0.8, ls=":")
    label_axes(a3, "epoch", "simulated training-step speedup (x)",
               f"{model_name} on {dataset}: mercury-sim --training per epoch", epochs)
    save_figure(fig, os.path.join(out, f"curves_{model_name}_{dataset}.png"), paths)

    mres = [r for r in results if r["variant"] != "baseline"]
    if mres:
        fig, axes = plt.subplots(1, len(mres), figsize=(6 * len(mres), 4), squeeze=False)
        for ax, r in zip(axes[0], mres):
            n_layers = len(r["layers"])
            tr = r.get("hit_rate_trace", [])
            for lid in range(n_layers):
                pts = [(t["step"], 100 * t["hit_rate"][lid]) for t in tr if lid in t["hit_rate"]]
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", label=f"L{lid} {r['layers'][lid]}")
            steps_per_epoch = len(r["losses"]) // max(1, len(r["epochs"]))
            for e in range(1, len(r["epochs"])):
                ax.axvline(e * steps_per_epoch, color="grey", lw=0.6, ls=":")
            for h in (r.get("adaptive") or {}).get("history", []):
                ax.axvline(h["step"], color="red" if h["event"] == "disable" else "black", lw=0.8, ls="--")
                txt = f"L{h['layer_id']} off" if h["event"] == "disable" else f"{h['from']}->{h['to']} bits"
                ax.text(h["step"], 2, txt, rotation=90, fontsize=7, va="bottom")
            ax.set_xlabel(f"training step (dotted: epoch boundaries; dashed: adaptive decisions)")
            ax.set_ylabel(f"hit rate (%), mean over {trace_window(r)} steps")
            ax.set_ylim(0, 100)
            title = f"{model_name}/{dataset}: per-layer hit rate ({r['variant']})"
            ax.set_title(title)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, ncol=2)
        save_figure(fig, os.path.join(out, f"hitrates_{model_name}_{dataset}.png"), paths)
    for r in mres:
        layers = (r.get("sim") or {}).get("layers") or []
        if layers and all(layer.get("energy_parts") for layer in layers):
            fig, ax = plt.subplots(figsize=(max(8.0, 0.3 * len(layers) + 4), 4.5))
            label_axes(ax, "conv layer id", "energy per training step (uJ)",
                       f"{model_name}/{dataset} ({r['variant']}, last epoch): simulated step energy per layer\n"
                       f"baseline (left) vs MERCURY (right; hatched: its own structures), mercury-sim --training")
            energy_bars(ax, [layer["layer_id"] for layer in layers], layers)
            save_figure(fig, os.path.join(out, f"energy_{model_name}_{dataset}_{r['variant']}.png"), paths)
    for r in results:
        if r.get("adaptive"):
            paths.append(plot_adaptive(model_name, dataset, r, out))
    return paths


def plot_adaptive(model_name: str, dataset: str, r: Dict, out: str) -> str:
    """The adaptive policy over time: signature length, and each layer on (reuse) or off."""
    plt = pyplot()
    steps = len(r["losses"])
    history = r["adaptive"]["history"]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    xs, ys = [0], []
    current = next((h["from"] for h in history if h["event"] == "grow_bits"), r["adaptive"]["sig_bits"])
    ys.append(current)
    for h in history:
        if h["event"] == "grow_bits":
            xs.append(h["step"])
            ys.append(h["to"])
    xs.append(steps)
    ys.append(ys[-1])
    a1.step(xs, ys, where="post")
    a1.set_ylabel("signature bits")
    a1.grid(alpha=0.3)
    off_at = {h["layer_id"]: h["step"] for h in history if h["event"] == "disable"}
    for lid, name in enumerate(r["layers"]):
        end = off_at.get(lid, steps)
        a2.broken_barh([(0, end)], (lid - 0.4, 0.8), color="tab:green")
        if end < steps:
            a2.broken_barh([(end, steps - end)], (lid - 0.4, 0.8), color="tab:grey")
    a2.set_yticks(range(len(r["layers"])))
    a2.set_yticklabels([f"L{i} {n}" for i, n in enumerate(r["layers"])], fontsize=7)
    a2.set_xlabel("training step (green: MERCURY reuse, grey: switched off)")
    a2.set_xlim(0, steps)
    fig.suptitle(f"{model_name}/{dataset}: adaptive policy decisions")
    paths: List[str] = []
    save_figure(fig, os.path.join(out, f"adaptive_{model_name}_{dataset}.png"), paths)
    return paths[0]


def trace_window(r: Dict) -> int:
    """Steps per point of a run's hit-rate trace."""
    tr = r.get("hit_rate_trace") or []
    return tr[1]["step"] - tr[0]["step"] if len(tr) > 1 else (tr[0]["step"] if tr else 1)
