"""MERCURY under DDP: N ranks (localhost; gloo on the CPU, NCCL with --device cuda, one GPU per rank) train
small_cnn on Fashion-MNIST with every conv converted to mercury::conv2d, export one hit log per rank, merge them on
rank 0 and, when mercury-sim is built, simulate the merged log.

    PYTHONPATH=$PWD .venv/bin/torchrun --nproc_per_node 2 benchmarks/train_ddp.py --steps 3
    PYTHONPATH=$PWD .venv/bin/python benchmarks/train_ddp.py --steps 5 --batch-size 32 --out out/ddp

Under torchrun (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the environment) each process is one rank and joins
the group with init_process_group(gloo or nccl, init_method="env://"); run plainly, it starts --world-size ranks itself
with torch.multiprocessing.spawn (mercury.distributed.launch). Output: OUT/ranks/ (hitlog-NNN.rank<R>.csv,
overflow.rank<R>.csv), OUT/hitlog/ (merged by rank 0, mercury-sim's input), OUT/sim/ (mercury-sim's reports),
OUT/summary.json.
"""
import argparse
import os
import time
from dataclasses import dataclass
from typing import Dict, Optional

import torch


@dataclass(frozen=True)
class DdpTraining:
    settings: Dict          # the MERCURY settings of every conv (mercury.settings)
    out: str                # absolute output folder
    steps: int = 5          # optimizer steps
    batch_size: int = 32    # per rank
    limit: Optional[int] = None  # training examples loaded (None: steps * batch size * world size)
    lr: float = 0.05
    seed: int = 0           # model initialisation and data order (settings["seed"] is the projection seed)
    threads: int = 1        # torch threads per rank
    timeout_s: float = 1800.0  # plain runs: kill the ranks after this; under torchrun: the collective timeout
    device: str = "cpu"     # cpu (gloo), or cuda (NCCL, one GPU per rank: mercury.distributed.rank_device)


def run(training: DdpTraining, world_size: Optional[int] = None) -> int:
    """Trains on `world_size` spawned ranks, or as the rank torchrun started (world_size None); returns 0, and
    from a torchrun rank other than 0 also 0 (rank 0 reports)."""
    from mercury import distributed
    os.makedirs(training.out, exist_ok=True)
    backend = distributed.backend_for(training.device)
    if world_size is not None:
        distributed.launch(_worker, world_size=world_size, args=(training,), timeout=training.timeout_s,
                           threads=training.threads, backend=backend)
    elif distributed.run_torchrun_rank(_worker, args=(training,), threads=training.threads,
                                       timeout_s=training.timeout_s, backend=backend) != 0:
        return 0
    print(f"wrote {training.out}")
    return 0


def _worker(rank: int, world_size: int, training: DdpTraining) -> None:
    """One rank: train, export this rank's hit log; rank 0 then merges, simulates and writes summary.json."""
    import mercury  # the op library is loaded per process
    from mercury import distributed
    from mercury.hitlog import layer_totals

    elapsed = _train(rank, world_size, training)
    ranks_dir, merged_dir = os.path.join(training.out, "ranks"), os.path.join(training.out, "hitlog")
    distributed.export_rank_hitlog(ranks_dir)
    mine = layer_totals(mercury.hitlog())
    hits, vectors = sum(t["hits"] for t in mine.values()), sum(t["vectors"] for t in mine.values())
    print(f"rank {rank}: {len(mine)} layers, {hits}/{vectors} vectors hit ({hits / max(vectors, 1):.1%})", flush=True)
    torch.distributed.barrier()  # every rank has exported
    if rank == 0:
        _merge_and_simulate(world_size, training, elapsed, ranks_dir, merged_dir)


def _train(rank: int, world_size: int, training: DdpTraining) -> float:
    """Trains this rank's DDP replica for training.steps steps; returns the seconds the steps took."""
    import mercury
    from mercury.distributed import rank_device
    from models import data, zoo
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    limit = training.limit or training.steps * training.batch_size * world_size
    x, y = data.fashion_mnist("train", limit=limit)
    device = rank_device(training.device, rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)  # NCCL's collectives run on the rank's current device
    model = zoo.build("small_cnn", seed=training.seed).to(device)  # same seed on every rank (DDP broadcasts rank 0's)
    mercury.convert(model, example=x[:1].to(device), **training.settings)
    mercury.hitlog_reset()
    ddp = DistributedDataParallel(model.train(), device_ids=[device] if device.type == "cuda" else None)
    sampler = DistributedSampler(TensorDataset(x, y), num_replicas=world_size, rank=rank, shuffle=True,
                                 seed=training.seed, drop_last=True)
    loader = DataLoader(TensorDataset(x, y), batch_size=training.batch_size, sampler=sampler, drop_last=True)
    opt = torch.optim.SGD(ddp.parameters(), lr=training.lr, momentum=0.9)
    step, epoch, start = 0, 0, time.time()
    while step < training.steps:
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(ddp(xb), yb)
            loss.backward()
            opt.step()
            step += 1
            if rank == 0:
                print(f"step {step}/{training.steps}  loss {loss.item():.4f}", flush=True)
            if step >= training.steps:
                break
        epoch += 1
    return time.time() - start


def _merge_and_simulate(world_size: int, training: DdpTraining, elapsed: float, ranks_dir: str,
                        merged_dir: str) -> None:
    from mercury import distributed, tools
    from mercury.files import write_json
    merged = distributed.merge_rank_hitlogs(ranks_dir, merged_dir, world_size=world_size)
    summary = {"world_size": world_size, "steps": training.steps, "batch_size_per_rank": training.batch_size,
               "train_seconds": elapsed, "settings": training.settings,
               "layers": {str(k): v for k, v in merged.items()}}
    print(f"merged {len(merged)} layers from {world_size} ranks into {merged_dir}")
    if tools.find_tool("mercury-sim") is not None:
        from mercury.simulate import simulate
        report = simulate(merged_dir, os.path.join(training.out, "sim"))
        summary["sim_totals"] = report.totals
        print("mercury-sim totals: " + ", ".join(f"{k}={v:g}" for k, v in report.totals.items()))
    else:
        print("mercury-sim not built: simulation skipped")
    write_json(os.path.join(training.out, "summary.json"), summary)


# ---------------------------------------------------------------------------------------------------------------
# The command line (benchmarks/train_ddp.py)

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
    cli.add_device(parser)
    args = parser.parse_args(argv)
    torchrun = distributed.torchrun_rank()
    if torchrun is not None and args.world_size is not None and args.world_size != torchrun[1]:
        parser.error(f"--world-size {args.world_size} differs from torchrun's WORLD_SIZE {torchrun[1]}")
    world_size = torchrun[1] if torchrun is not None else (2 if args.world_size is None else args.world_size)
    if args.steps < 1 or args.batch_size < 1 or world_size < 1:
        parser.error("--steps, --batch-size and --world-size must be >= 1")
    ddp = DdpTraining(settings=mercury_settings.from_args(args), out=os.path.abspath(args.out), steps=args.steps,
                      batch_size=args.batch_size, limit=args.limit, lr=args.lr, seed=args.train_seed,
                      threads=args.threads, timeout_s=args.timeout, device=args.device)
    return run(ddp, world_size=None if torchrun is not None else world_size)
