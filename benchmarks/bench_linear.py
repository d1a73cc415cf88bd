"""Time mercury::linear (observe, reuse) against torch's linear on MiniLM's layer shapes, fed the activations they
really receive on real e-mails (16 held-out SpamAssassin e-mails of 128 tokens: 2,048 rows per call).

Per distinct shape (384 -> 384, 384 -> 1536, 1536 -> 384): torch's linear; observe (exact output, signatures and
lookups paid); reuse on the real rows (their own hit rate); and reuse at forced hit rates, made by replacing a
fraction of the rows with exact copies of earlier rows (sign signatures: an exact copy always hits), which gives
the break-even hit rate: the lowest at which reuse beats torch's linear. Prints a table and writes CSV.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_linear.py --repeats 7
"""
import argparse
import csv
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mercury  # noqa: E402
from mercury.order import layer_calls  # noqa: E402
from mercury.study import cli  # noqa: E402
from mercury.study.choices import DataChoice  # noqa: E402
from mercury.study.text_inputs import full_length_emails  # noqa: E402

FORCED = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)


def best_of(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def with_repeats(rows: torch.Tensor, fraction: float, seed: int = 0) -> torch.Tensor:
    """`rows` with a `fraction` of them (never the first) replaced by copies of randomly chosen earlier rows."""
    g = torch.Generator().manual_seed(seed)
    out = rows.clone()
    n = len(rows)
    chosen = torch.randperm(n - 1, generator=g)[:int(fraction * n)] + 1
    for i in chosen.tolist():
        out[i] = out[torch.randint(0, i, (1,), generator=g).item()]
    return out


def time_layer(x, w, b, settings, repeats):
    """(times in s, hit rate) of torch's linear, observe and reuse on rows `x`."""
    with torch.no_grad():
        native, _ = best_of(lambda: F.linear(x, w, b), repeats)
        observe, _ = best_of(lambda: mercury.linear(x, w, b, mode="observe", **settings), repeats)
        reuse, _ = best_of(lambda: mercury.linear(x, w, b, mode="reuse", **settings), repeats)
        mercury.hitlog_reset()
        mercury.linear(x, w, b, mode="observe", **settings)
    record = mercury.hitlog()[-1]
    return native, observe, reuse, record["hits"] / record["vectors"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=16, help="e-mails per call (128 rows each)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--out", default="out/bench_linear.csv")
    cli.add_settings(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = {k: v for k, v in mercury.settings.from_args(args).items() if k != "mode"}
    from models import minilm, zoo
    model = zoo.build("minilm_l6")
    batch = full_length_emails("held_out", args.batch_size, args.batch_size, minilm.minilm_tokenizer()).batches[0]
    seen, rows = set(), []
    for call in layer_calls(model, batch, ("linear",), keep_inputs=True):
        linear, x = call.module, call.input.reshape(-1, call.input.shape[-1])
        key = (linear.in_features, linear.out_features)
        if key in seen or len(x) < 64:
            continue
        seen.add(key)
        w, b = linear.weight.detach(), linear.bias.detach()
        for forced in (None,) + FORCED:
            rows_in = x if forced is None else with_repeats(x, forced)
            native, observe, reuse, hit_rate = time_layer(rows_in, w, b, settings, args.repeats)
            rows.append(dict(layer=call.name, shape=f"{len(x)}x{key[0]}->{key[1]}",
                             rows="real" if forced is None else f"{forced:.0%} copies", hit_rate=hit_rate,
                             native_ms=native * 1e3, observe_ratio=observe / native, reuse_ratio=reuse / native))
            r = rows[-1]
            print(f"{r['shape']:>16} {r['rows']:>11}  hit {r['hit_rate']:6.1%}  linear {r['native_ms']:7.2f} ms  "
                  f"observe {r['observe_ratio']:5.2f}x  reuse {r['reuse_ratio']:5.2f}x", flush=True)
    for shape in dict.fromkeys(r["shape"] for r in rows):
        forced = [r for r in rows if r["shape"] == shape and r["rows"] != "real"]
        faster = [r["hit_rate"] for r in forced if r["reuse_ratio"] < 1.0]
        print(f"{shape}: reuse beats torch's linear from a hit rate of "
              + (f"{min(faster):.0%}" if faster else "never (in the forced range)"))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
