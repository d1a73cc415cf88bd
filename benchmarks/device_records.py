"""Hit-log records of a trained network on real data, from one device and kernel choice, and their comparison
record by record with another run's: the check that the device kernels (what CUDA tensors take) keep the CPU
kernels' records.

    # run: the model in observe mode (every layer, hit maps recorded; the signature scheme cycles sign / e2lsh /
    # svd over the layers), its hit log exported to OUT
    python benchmarks/device_records.py run --model inception_v3_nsfwjs --device cpu --out /tmp/a
    MERCURY_KERNELS=device python benchmarks/device_records.py run --model inception_v3_nsfwjs --out /tmp/b
    # --rounding ulps:N|tf32: every converted layer's input moved as another device's arithmetic could move it
    # (by up to N units in the last place, or to TF32's 10-bit mantissa): what a GPU's rounding can do, on the CPU
    python benchmarks/device_records.py run --model inception_v3_nsfwjs --rounding ulps:16 --out /tmp/c
    # compare: every record of A against B's (the same layers, calls, shapes and settings); identical: the same
    # hits and hit map
    python benchmarks/device_records.py compare /tmp/a /tmp/b [--exact]

Models: the nsfwjs networks (trained, npm nsfwjs@4.3.0) on the skimage/opencv photos, and minilm_l6 (trained
all-MiniLM-L6-v2) on held-out SpamAssassin e-mails (its linear layers). --dtype float64 runs the model in double.
"""
import argparse
import csv
import glob
import json
import os
import sys
from typing import Dict, List

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCHEMES = ({"signature": "sign", "sig_bits": 20}, {"signature": "e2lsh", "sig_bits": 16, "bucket_width": 1.0},
           {"signature": "svd", "sig_bits": 8, "bucket_width": 0.2})
COMPARED = ("layer_id", "call", "op", "N", "C", "H", "W", "out_channels", "kernel_h", "kernel_w", "vectors",
            "sig_bits", "mode", "vector_kind", "signature")


def model_and_batches(name: str, batches: int, batch_size: int, dtype, device):
    """(model, list of inputs, kinds) on `device`: photos for the image networks, e-mails for minilm_l6."""
    from mercury.order import ALL_KINDS, DEFAULT_KINDS
    from mercury.study.choices import DataChoice
    from models import zoo
    model = zoo.build(name).eval().to(device=device, dtype=dtype)
    if name in zoo.TEXT_MODELS:
        from models import minilm
        from mercury.study.text_inputs import full_length_emails
        emails = full_length_emails("held_out", batches * batch_size, batch_size, minilm.minilm_tokenizer())
        return model, [tuple(t.to(device) for t in b) for b in emails.batches], ALL_KINDS
    from mercury.study.inputs import model_input
    inputs = model_input(name, DataChoice(batches=batches, batch_size=batch_size)).batches
    return model, [x.to(device=device, dtype=dtype) for x in inputs], DEFAULT_KINDS


def perturb_rounding(x, how: str, generator):
    """x as another device's arithmetic could have left it: `ulps:N` moves each non-zero element by a random whole
    number of units in the last place in [-N, N] (zeros stay zero: a ReLU's or a padding's zero is exact
    everywhere); `tf32` rounds each to TF32's 10-bit mantissa, to nearest (a TF32 GEMM's operands)."""
    import torch
    if x.dtype != torch.float32:
        raise SystemExit(f"--rounding needs float32 layer inputs, got {x.dtype}")
    bits = x.view(torch.int32)
    if how == "tf32":
        moved = (bits + 0x1000) & ~0x1FFF  # 13 of 23 mantissa bits dropped, to nearest
    else:
        n = int(how.split(":")[1])
        moved = bits + torch.randint(-n, n + 1, x.shape, generator=generator, dtype=torch.int32).to(x.device)
    return torch.where(torch.isfinite(x) & (x != 0), moved.view(torch.float32), x)


def perturb_layer_inputs(model, batches, how: str) -> None:
    """Every converted layer's input perturbed by `perturb_rounding`, except the data itself (the same bytes on
    every device)."""
    import torch
    from mercury.convert import mercury_layers
    generator = torch.Generator().manual_seed(0)
    data = [b if isinstance(b, tuple) else (b,) for b in batches]

    def hook(_, inputs):
        x = inputs[0]
        if not x.is_floating_point() or any(x is t for b in data for t in b):
            return None
        return (perturb_rounding(x, how, generator),) + tuple(inputs[1:])
    for layer in mercury_layers(model):
        layer.register_forward_pre_hook(hook)


def run(args) -> Dict:
    import torch
    import mercury
    from mercury.convert import mercury_layers
    from mercury.order import run_example
    if args.tf32 is not None:
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = args.tf32 == "on"
    dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    model, batches, kinds = model_and_batches(args.model, args.batches, args.batch_size, dtype, args.device)
    mercury.convert(model, batches[0], kinds=kinds, mode="observe", record_hitmap=True)
    for layer in mercury_layers(model):
        layer.configure(**SCHEMES[layer.layer_id % len(SCHEMES)])
    if args.rounding:
        perturb_layer_inputs(model, batches, args.rounding)
    mercury.hitlog_reset()
    with torch.no_grad():
        for x in batches:
            run_example(model, x)
    os.makedirs(args.out, exist_ok=True)
    files = mercury.hitlog_export(args.out)
    summary = {"model": args.model, "device": str(args.device), "kernels": mercury.kernels, "dtype": args.dtype,
               "rounding": args.rounding,
               "records": len(mercury.hitlog()), "layer_files": files, "torch": torch.__version__,
               "device_name": torch.cuda.get_device_name() if str(args.device).startswith("cuda") else "cpu"}
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def read_records(folder: str) -> List[Dict[str, str]]:
    csv.field_size_limit(sys.maxsize)  # a hit map is one field: a character per vector
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "hitlog-*.csv"))):
        with open(path) as f:
            rows += list(csv.DictReader(f))
    return sorted(rows, key=lambda r: (int(r["layer_id"]), int(r["call"])))


def compare(a: str, b: str) -> Dict:
    """Record by record: the same calls (COMPARED fields equal) and how far their hits differ."""
    ra, rb = read_records(a), read_records(b)
    if len(ra) != len(rb):
        raise SystemExit(f"compare: {a} has {len(ra)} records, {b} has {len(rb)}")
    for x, y in zip(ra, rb):
        differing = [k for k in COMPARED if x.get(k) != y.get(k)]
        if differing:
            raise SystemExit(f"compare: layer {x['layer_id']} call {x['call']} differs in {differing}: {x} vs {y}")
    diffs = [abs(int(x["hits"]) - int(y["hits"])) for x, y in zip(ra, rb)]
    vectors = sum(int(x["vectors"]) for x in ra)
    same = sum(x["hits"] == y["hits"] and x["hitmap"] == y["hitmap"] for x, y in zip(ra, rb))
    per_layer: Dict[str, List[int]] = {}  # layer -> [vectors, hits in A, hits in B]
    for x, y in zip(ra, rb):
        t = per_layer.setdefault(x["layer_id"], [0, 0, 0])
        t[0], t[1], t[2] = t[0] + int(x["vectors"]), t[1] + int(x["hits"]), t[2] + int(y["hits"])
    layer_differences = [abs(a - b) / max(1, v) for v, a, b in per_layer.values()]
    return {"records": len(ra), "identical": same, "vectors": vectors,
            "hits_a": sum(int(x["hits"]) for x in ra), "hits_b": sum(int(y["hits"]) for y in rb),
            "largest_hit_difference": max(diffs, default=0), "hit_differences_total": sum(diffs),
            "hit_rate_difference": abs(sum(int(x["hits"]) - int(y["hits"]) for x, y in zip(ra, rb))) / max(1, vectors),
            "largest_layer_hit_rate_difference": max(layer_differences, default=0.0)}


def rounding_choice(text: str) -> str:
    if text == "tf32" or (text.startswith("ulps:") and text[5:].isdigit() and 0 < int(text[5:]) < 1 << 20):
        return text
    raise argparse.ArgumentTypeError(f"expected tf32 or ulps:N (N a whole number from 1), got {text!r}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a model in observe mode and export its hit log")
    r.add_argument("--model", default="inception_v3_nsfwjs")
    r.add_argument("--device", default="cpu")
    r.add_argument("--batches", type=int, default=2)
    r.add_argument("--batch-size", type=int, default=4)
    r.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    r.add_argument("--tf32", choices=["on", "off"], default=None, help="TF32 in cuDNN/cuBLAS (default: torch's)")
    r.add_argument("--rounding", type=rounding_choice, default=None, metavar="{ulps:N,tf32}",
                   help="move every converted layer's input as another device's rounding would (emulation)")
    r.add_argument("--out", required=True)
    c = sub.add_parser("compare", help="compare two runs' records")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--exact", action="store_true", help="exit 1 unless every record's hits are equal")
    args = p.parse_args(argv)
    if args.command == "run":
        print(json.dumps(run(args)))
        return 0
    result = compare(args.a, args.b)
    print(json.dumps(result))
    return 1 if args.exact and result["identical"] != result["records"] else 0


if __name__ == "__main__":
    sys.exit(main())
