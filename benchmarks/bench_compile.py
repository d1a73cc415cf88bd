"""Forward time of a converted model (mercury.convert, every layer in one mode) in eager mode and under
torch.compile(fullgraph=True), on real photos; also the plain (unconverted) model for scale.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_compile.py --models resnet18 --mode observe --batch-size 8
"""
import argparse
import os
import sys

import torch

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mercury  # noqa: E402
from benchmarks.bench_conv2d import best_of  # noqa: E402
from mercury.study import cli  # noqa: E402
from models import data, zoo  # noqa: E402


def forward_ms(model, x, repeats):
    with torch.no_grad():
        return 1000 * best_of(lambda: model(x), repeats)[0]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_models(p, "resnet18")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=None)
    cli.add_settings(p)
    args = p.parse_args(argv)
    cli.apply_threads(args)
    settings = mercury.settings.from_args(args)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size} photos, "
          f"mode {settings['mode']}; best of {args.repeats} (ms)")
    print("| model | plain eager | converted eager | converted compiled | compiled / eager |")
    print("|---|---|---|---|---|")
    for name in cli.models_from(args):
        model = zoo.build(name)
        x = data.image_tensor(args.batch_size, size=zoo.input_shape(name)[1])
        plain = forward_ms(model, x, args.repeats)
        mercury.convert(model, example=x[:1], **settings)
        eager = forward_ms(model, x, args.repeats)
        compiled = forward_ms(torch.compile(model, fullgraph=True), x, args.repeats)
        print(f"| {name} | {plain:.1f} | {eager:.1f} | {compiled:.1f} | {compiled / eager:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
