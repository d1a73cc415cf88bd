"""Time mercury::conv2d (observe, reuse) against torch's conv2d on a model's conv layers.

Each layer is fed the activation it really receives when the model runs on real photos (skimage's data
folder, 224x224). Distinct layer shapes only. Prints a table and writes it as CSV.

    python3 benchmarks/bench_conv2d.py --models resnet101 --batch-size 8

--clock cpu times with the process's CPU time instead of the wall clock: steadier on a machine shared with other
jobs (with --threads 1 it is the single thread's time). --input unit feeds pixels in [0, 1] (the ImageNet
normalisation undone), as the pretrained nsfwjs models expect:

    python3 benchmarks/bench_conv2d.py --models inception_v3_nsfwjs --size 299 --input unit
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
from mercury.order import conv_calls  # noqa: E402
from mercury.study import cli  # noqa: E402
from models import data, zoo  # noqa: E402


def shape_key(module, x):
    return (tuple(x.shape), module.out_channels, module.kernel_size, module.stride, module.padding,
            module.dilation, module.groups)


def best_of(fn, repeats, clock=time.perf_counter):
    fn()
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_models(parser, "resnet101")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--out", default="out/bench_conv2d.csv")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: time.perf_counter; cpu: time.process_time (steadier on a shared machine)")
    parser.add_argument("--input", choices=("imagenet", "unit"), default="imagenet",
                        help="imagenet: ImageNet-normalised photos; unit: pixels in [0, 1] (nsfwjs models)")
    cli.add_settings(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    chosen = {k: v for k, v in mercury.settings.from_args(args).items() if k != "mode"}

    model = zoo.build(cli.models_from(args)[0])
    images = next(iter(data.image_batches(args.batch_size, 1, size=args.size)))
    if args.input == "unit":
        std, mean = torch.tensor(data.IMAGENET_STD), torch.tensor(data.IMAGENET_MEAN)
        images = images * std.view(1, 3, 1, 1) + mean.view(1, 3, 1, 1)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    seen, rows = set(), []
    for call in conv_calls(model, images, keep_inputs=True):
        name, conv, x = call.name, call.module, call.input
        key = shape_key(conv, x)
        if key in seen:
            continue
        seen.add(key)
        settings = dict(chosen, layer_id=call.layer_id)
        w, b = conv.weight.detach(), None if conv.bias is None else conv.bias.detach()
        geometry = (conv.stride, conv.padding, conv.dilation, conv.groups)
        with torch.no_grad():
            native, _ = best_of(lambda: F.conv2d(x, w, b, *geometry), args.repeats, clock)
            observe, _ = best_of(lambda: mercury.conv2d(x, w, b, *geometry, mode="observe", **settings),
                                 args.repeats, clock)
            reuse, _ = best_of(lambda: mercury.conv2d(x, w, b, *geometry, mode="reuse", **settings),
                               args.repeats, clock)
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
