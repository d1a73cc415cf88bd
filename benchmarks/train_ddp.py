"""MERCURY under DDP: N ranks (gloo, localhost) train small_cnn on Fashion-MNIST with every conv converted to
mercury::conv2d, export one hit log per rank, merge them on rank 0 and, when mercury-sim is built, simulate the
merged log.

    PYTHONPATH=$PWD .venv/bin/torchrun --nproc_per_node 2 benchmarks/train_ddp.py --steps 3
    PYTHONPATH=$PWD .venv/bin/python benchmarks/train_ddp.py --steps 5 --batch-size 32 --out out/ddp

Under torchrun (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the environment) each process is one rank and joins
the group with init_process_group("gloo", init_method="env://"); run plainly, it starts --world-size ranks itself
with torch.multiprocessing.spawn (mercury.distributed.launch). Output: OUT/ranks/ (hitmap-NNN.rank<R>.csv,
overflow.rank<R>.csv), OUT/hitlog/ (merged by rank 0, mercury-sim's input), OUT/sim/ (mercury-sim's reports),
OUT/summary.json.
"""
import argparse
import json
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402


def _worker(rank: int, world_size: int, args: argparse.Namespace, settings: dict) -> None:
    import mercury  # the op library is loaded per process
    from mercury import distributed
    from mercury.hitlog import layer_totals
    from models import data, zoo
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    limit = args.limit or args.steps * args.batch_size * world_size
    x, y = data.fashion_mnist("train", limit=limit)
    model = zoo.build("small_cnn", seed=args.train_seed)  # same seed on every rank (DDP also broadcasts rank 0's)
    mercury.convert(model, example=x[:1], **settings)
    mercury.hitlog_reset()
    ddp = DistributedDataParallel(model.train())
    sampler = DistributedSampler(TensorDataset(x, y), num_replicas=world_size, rank=rank, shuffle=True,
                                 seed=args.train_seed, drop_last=True)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, sampler=sampler, drop_last=True)
    opt = torch.optim.SGD(ddp.parameters(), lr=args.lr, momentum=0.9)
    step, epoch, start = 0, 0, time.time()
    while step < args.steps:
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(ddp(xb), yb)
            loss.backward()
            opt.step()
            step += 1
            if rank == 0:
                print(f"step {step}/{args.steps}  loss {loss.item():.4f}", flush=True)
            if step >= args.steps:
                break
        epoch += 1
    elapsed = time.time() - start
    ranks_dir, merged_dir = os.path.join(args.out, "ranks"), os.path.join(args.out, "hitlog")
    distributed.export_rank_hitlog(ranks_dir)
    mine = layer_totals(mercury.hitlog())
    hits, vectors = sum(t["hits"] for t in mine.values()), sum(t["vectors"] for t in mine.values())
    print(f"rank {rank}: {len(mine)} layers, {hits}/{vectors} vectors hit ({hits / max(vectors, 1):.1%})", flush=True)
    torch.distributed.barrier()  # every rank has exported
    if rank != 0:
        return
    merged = distributed.merge_rank_hitlogs(ranks_dir, merged_dir, world_size=world_size)
    summary = {"world_size": world_size, "steps": args.steps, "batch_size_per_rank": args.batch_size,
               "train_seconds": elapsed, "settings": settings,
               "layers": {str(k): v for k, v in merged.items()}}
    print(f"merged {len(merged)} layers from {world_size} ranks into {merged_dir}")
    from mercury import tools
    if tools.find_tool("mercury-sim") is not None:
        from mercury.simulate import simulate
        report = simulate(merged_dir, os.path.join(args.out, "sim"))
        summary["sim_totals"] = report.totals
        print("mercury-sim totals: " + ", ".join(f"{k}={v:g}" for k, v in report.totals.items()))
    else:
        print("mercury-sim not built: simulation skipped")
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")


def main(argv=None) -> int:
    from mercury import distributed, settings as mercury_settings
    from mercury.study import cli

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5, help="optimizer steps (default 5)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size per rank (default 32)")
    parser.add_argument("--world-size", type=int, default=None,
                        help="processes started when run plainly (default 2; under torchrun: its WORLD_SIZE)")
    parser.add_argument("--out", default=cli.default_out("ddp"), help="output folder (default out/ddp)")
    parser.add_argument("--limit", type=int, default=None,
                        help="training examples loaded (default steps * batch size * world size)")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--train-seed", type=int, default=0,
                        help="model initialisation and data order (--seed is the MERCURY projection seed)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per rank (default 1)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="kill the ranks after this many seconds (under torchrun: the process group's "
                             "collective timeout)")
    cli.add_settings(parser, mode="reuse")
    args = parser.parse_args(argv)
    torchrun = distributed.torchrun_rank()
    if torchrun is not None and args.world_size is not None and args.world_size != torchrun[1]:
        parser.error(f"--world-size {args.world_size} differs from torchrun's WORLD_SIZE {torchrun[1]}")
    world_size = torchrun[1] if torchrun is not None else (2 if args.world_size is None else args.world_size)
    if args.steps < 1 or args.batch_size < 1 or world_size < 1:
        parser.error("--steps, --batch-size and --world-size must be >= 1")
    settings = mercury_settings.from_args(args)
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    if torchrun is None:
        distributed.launch(_worker, world_size=world_size, args=(args, settings), timeout=args.timeout,
                           threads=args.threads)
    elif distributed.run_torchrun_rank(_worker, args=(args, settings), threads=args.threads,
                                       timeout_s=args.timeout) != 0:
        return 0
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
