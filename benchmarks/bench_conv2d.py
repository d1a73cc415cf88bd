"""Time mercury::conv2d (observe, reuse) against torch's conv2d on a model's conv layers.

Each layer is fed the activation it really receives when the model runs on real photos (skimage's data
folder, 224x224). Distinct layer shapes only. Prints a table and writes it as CSV.

    PYTHONPATH=. /usr/bin/python3 benchmarks/bench_conv2d.py --model resnet101 --batch 8
"""
import argparse
import csv
import os
import statistics
import time

import torch
import torch.nn.functional as F

import mercury
from models import data, zoo


def capture_conv_inputs(model, images):
    """[(qualified name, module, input tensor)] in execution order."""
    captured = []
    hooks = [m.register_forward_hook(lambda mod, inp, out, name=name: captured.append((name, mod, inp[0])))
             for name, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(images)
    for h in hooks:
        h.remove()
    return captured


def shape_key(module, x):
    return (tuple(x.shape), module.out_channels, module.kernel_size, module.stride, module.padding,
            module.dilation, module.groups)


def best_of(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="resnet101")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--sig-bits", type=int, default=20)
    parser.add_argument("--cache-entries", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--out", default="out/bench_conv2d.csv")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model = zoo.build(args.model)
    images = next(iter(data.image_batches(args.batch, 1, size=args.size)))
    seen, rows = set(), []
    for layer_id, (name, conv, x) in enumerate(capture_conv_inputs(model, images)):
        key = shape_key(conv, x)
        if key in seen:
            continue
        seen.add(key)
        settings = dict(layer_id=layer_id, sig_bits=args.sig_bits, cache_entries=args.cache_entries)
        w, b = conv.weight.detach(), None if conv.bias is None else conv.bias.detach()
        geometry = (conv.stride, conv.padding, conv.dilation, conv.groups)
        with torch.no_grad():
            native, _ = best_of(lambda: F.conv2d(x, w, b, *geometry), args.repeats)
            observe, _ = best_of(lambda: mercury.conv2d(x, w, b, *geometry, mode="observe", **settings),
                                 args.repeats)
            reuse, _ = best_of(lambda: mercury.conv2d(x, w, b, *geometry, mode="reuse", **settings),
                               args.repeats)
            mercury.hitlog_reset()
            mercury.conv2d(x, w, b, *geometry, mode="observe", **settings)
        record = mercury.hitlog()[-1]
        rows.append(dict(layer=name, input="x".join(map(str, x.shape)), out_channels=conv.out_channels,
                         kernel=f"{conv.kernel_size[0]}x{conv.kernel_size[1]}", stride=conv.stride[0],
                         groups=conv.groups, hit_rate=record["hits"] / max(record["vectors"], 1),
                         native_ms=native * 1e3, observe_ms=observe * 1e3, reuse_ms=reuse * 1e3,
                         observe_ratio=observe / native, reuse_ratio=reuse / native))
        r = rows[-1]
        print(f"{r['layer']:<22} {r['input']:>14} ->{r['out_channels']:>5} {r['kernel']:>4}/{r['stride']}  "
              f"hit {r['hit_rate']:6.1%}  native {r['native_ms']:8.2f} ms  observe {r['observe_ratio']:5.2f}x  "
              f"reuse {r['reuse_ratio']:5.2f}x", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    total = {k: sum(r[k] for r in rows) for k in ("native_ms", "observe_ms", "reuse_ms")}
    print(f"distinct layers: {len(rows)}; summed time native {total['native_ms']:.1f} ms, "
          f"observe {total['observe_ms'] / total['native_ms']:.2f}x, reuse {total['reuse_ms'] / total['native_ms']:.2f}x")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
