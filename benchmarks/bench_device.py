"""Time mercury::conv2d and mercury::linear (observe, reuse) against torch's own conv2d / linear (cuDNN / cuBLAS on
a GPU) on ResNet-50's conv shapes and BERT-base's linear shapes, on one device.

ResNet-50 (random weights; timing does not depend on them) on real photos, batch --batch at --size x --size: the
whole forward with every conv observed, and every distinct conv shape once, fed the activation it really receives.
BERT-base: 768 -> 768, 768 -> 3072 and 3072 -> 768 over --batch x --tokens rows, with a forced fraction of rows copied from earlier rows (an exact copy always hits), so
reuse's time at each hit rate gives the break-even hit rate: the lowest at which reuse beats torch's linear.

A time is the wall clock of --repeats back-to-back calls, the device synchronised and the hit log's pending
records landed at the end (observe serves its lookups on host threads: if they cannot keep up, that shows here),
median of --rounds, after a warm-up. Prints a table, writes CSV.

    python benchmarks/bench_device.py --device cuda                         # the GPU check's sizes
    MERCURY_KERNELS=device python benchmarks/bench_device.py --device cpu --batch 2 --size 64 --tokens 32
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
from benchmarks.bench_linear import with_repeats  # noqa: E402
from mercury.order import layer_calls  # noqa: E402

BERT_SHAPES = ((768, 768), (768, 3072), (3072, 768))
FORCED = (0.0, 0.25, 0.5, 0.75, 0.9)


def timed(fn, device, repeats, rounds):
    """Median seconds per call of `fn` over `rounds` rounds of `repeats` calls (after one warm-up round)."""
    def one_round():
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        torch.ops.mercury.hitlog_wait()
        return (time.perf_counter() - start) / repeats
    one_round()
    return statistics.median(one_round() for _ in range(rounds))


def resnet50_and_photos(args, device):
    from models import data, imagenet
    return imagenet.resnet50().eval().to(device), data.image_tensor(args.batch, size=args.size).to(device)


def observed_hit_rate(observe) -> float:
    """The hit rate of one call, `observe()` (an observe-mode call), read from an emptied hit log."""
    mercury.hitlog_reset()
    with torch.no_grad():
        observe()
    r = mercury.hitlog_take().records[-1]
    return r["hits"] / r["vectors"]


def model_row(model, x, args, device):
    """The whole ResNet-50 forward: torch's, and every conv observed (its lookups overlapping the next layers')."""
    import copy
    observed = mercury.convert(copy.deepcopy(model), x, mode="observe")
    with torch.no_grad():
        native = timed(lambda: model(x), device, args.repeats, args.rounds)
        observe = timed(lambda: observed(x), device, args.repeats, args.rounds)
    r = dict(model="resnet50", layer="whole forward", shape=f"{tuple(x.shape)}", rows="real photos", hit_rate=float("nan"),
             torch_ms=native * 1e3, observe_ratio=observe / native, reuse_ratio=float("nan"))
    print_row(r)
    return [r]


def conv_rows(model, x, args, device):
    seen, rows = set(), []
    for call in layer_calls(model, x, ("conv2d",), keep_inputs=True):
        m, inp = call.module, call.input
        key = (m.in_channels, m.out_channels, m.kernel_size, m.stride, tuple(inp.shape))
        if key in seen:
            continue
        seen.add(key)
        geometry = (m.weight, None, list(m.stride), list(m.padding), list(m.dilation), m.groups)
        with torch.no_grad():
            native = timed(lambda: F.conv2d(inp, *geometry), device, args.repeats, args.rounds)
            observe = timed(lambda: mercury.conv2d(inp, *geometry, mode="observe"), device, args.repeats, args.rounds)
            reuse = timed(lambda: mercury.conv2d(inp, *geometry, mode="reuse"), device, args.repeats, args.rounds)
        hit_rate = observed_hit_rate(lambda: mercury.conv2d(inp, *geometry, mode="observe"))
        rows.append(dict(model="resnet50", layer=call.name, shape=f"{tuple(inp.shape)} k{m.kernel_size[0]} "
                         f"s{m.stride[0]} -> {m.out_channels}", rows="real photos", hit_rate=hit_rate,
                         torch_ms=native * 1e3, observe_ratio=observe / native, reuse_ratio=reuse / native))
        print_row(rows[-1])
    return rows


def linear_rows(args, device):
    g = torch.Generator().manual_seed(0)
    rows = []
    for k, n in BERT_SHAPES:
        base = torch.randn(args.batch * args.tokens, k, generator=g)
        w, b = (torch.randn(n, k, generator=g) / k ** 0.5).to(device), torch.zeros(n, device=device)
        for forced in FORCED:
            x = with_repeats(base, forced).to(device)
            with torch.no_grad():
                native = timed(lambda: F.linear(x, w, b), device, args.repeats, args.rounds)
                observe = timed(lambda: mercury.linear(x, w, b, mode="observe"), device, args.repeats, args.rounds)
                reuse = timed(lambda: mercury.linear(x, w, b, mode="reuse"), device, args.repeats, args.rounds)
            hit_rate = observed_hit_rate(lambda: mercury.linear(x, w, b, mode="observe"))
            rows.append(dict(model="bert-base", layer=f"{k}->{n}", shape=f"{len(x)}x{k}->{n}",
                             rows=f"{forced:.0%} copies", hit_rate=hit_rate, torch_ms=native * 1e3,
                             observe_ratio=observe / native, reuse_ratio=reuse / native))
            print_row(rows[-1])
    return rows


def print_row(r):
    print(f"{r['model']:>9} {r['shape']:>36} {r['rows']:>11}  hit {r['hit_rate']:6.1%}  torch {r['torch_ms']:8.3f} ms"
          f"  observe {r['observe_ratio']:5.2f}x  reuse {r['reuse_ratio']:5.2f}x", flush=True)


def break_even(rows):
    """Per BERT shape, the lowest forced hit rate at which reuse beat torch's linear (None: never)."""
    out = {}
    for layer in dict.fromkeys(r["layer"] for r in rows if r["model"] == "bert-base"):
        faster = [r["hit_rate"] for r in rows if r["layer"] == layer and r["reuse_ratio"] < 1.0]
        out[layer] = min(faster) if faster else None
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", default="out/bench_device.csv")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"bench_device on {name} (torch {torch.__version__}, kernels for CPU tensors: {mercury.kernels})")
    model, x = resnet50_and_photos(args, device)
    rows = model_row(model, x, args, device) + conv_rows(model, x, args, device) + linear_rows(args, device)
    for layer, rate in break_even(rows).items():
        print(f"bert-base {layer}: reuse beats torch's linear from a hit rate of "
              + (f"{rate:.0%}" if rate is not None else "never (in the forced range)"))
    for model in ("resnet50", "bert-base"):
        ratios = [r["observe_ratio"] for r in rows if r["model"] == model and r["layer"] != "whole forward"]
        print(f"{model}: observe / torch over its shapes: median {statistics.median(ratios):.2f}x, "
              f"largest {max(ratios):.2f}x")
    print(f"resnet50 whole forward: observe / torch {rows[0]['observe_ratio']:.2f}x ({rows[0]['torch_ms']:.1f} ms)")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["device"] + list(rows[0]))
        writer.writeheader()
        writer.writerows({"device": name} | r for r in rows)
    print(f"wrote {args.out}")
    return rows


if __name__ == "__main__":
    main()
