"""mercury::conv2d under DDP (gloo, two processes on localhost): weights stay in step, every rank exports its own
hit log, the merge holds both ranks' counts and feeds mercury-sim. Bounded: the spawned ranks get LAUNCH_TIMEOUT
seconds, then they are killed and the test fails."""
import csv
import json
import os
import subprocess
import sys
import time

import pytest
import torch
import torch.nn as nn

import mercury
from mercury import distributed, tools

WORLD_SIZE = 2
STEPS = 3
BATCH = {0: 4, 1: 3}  # per-rank batch sizes differ on purpose: N may differ between ranks
LAUNCH_TIMEOUT = 45.0
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TORCHRUN_TIMEOUT = 120.0


def _tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, stride=2), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3))


def _batch(rank: int, step: int):
    gen = torch.Generator().manual_seed(1000 * rank + step)  # different data on every rank and step
    x = torch.randn(BATCH[rank], 1, 10, 10, generator=gen)
    x[:, :, 5:, :] = 0.0  # flat regions: identical patches, so reuse really hits
    y = torch.randint(0, 3, (BATCH[rank],), generator=gen)
    return x, y


def _train_worker(rank: int, world_size: int, out: str) -> None:
    import mercury  # the op library is loaded per process
    from mercury import distributed as mdist
    from mercury.hitlog import layer_totals as totals_of
    from torch.nn.parallel import DistributedDataParallel

    model = _tiny_model()
    x0, _ = _batch(rank, 0)
    mercury.convert(model, example=x0[:1], mode="reuse")
    mercury.hitlog_reset()
    ddp = DistributedDataParallel(model.train())
    opt = torch.optim.SGD(ddp.parameters(), lr=0.5)
    for step in range(STEPS):
        x, y = _batch(rank, step)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(ddp(x), y).backward()
        opt.step()
    torch.save({k: v.detach().clone() for k, v in model.state_dict().items()},
               os.path.join(out, f"weights.rank{rank}.pt"))
    with open(os.path.join(out, f"totals.rank{rank}.json"), "w") as f:
        json.dump({"layers": totals_of(mercury.hitlog()), "overflow": mercury.hitlog_overflow()}, f)
    mdist.export_rank_hitlog(os.path.join(out, "ranks"))  # rank from the process group
    torch.distributed.barrier()
    if rank == 0:
        summary = mdist.merge_rank_hitlogs(os.path.join(out, "ranks"), os.path.join(out, "merged"),
                                           world_size=world_size)
        with open(os.path.join(out, "merge_summary.json"), "w") as f:
            json.dump(summary, f)


def _launch_ranks(worker, out):
    """Run worker on WORLD_SIZE ranks; returns each rank's totals.rank<R>.json ({rank: data}, layer keys as int)."""
    try:
        distributed.launch(worker, world_size=WORLD_SIZE, args=(out,), timeout=LAUNCH_TIMEOUT)
    except TimeoutError as e:
        pytest.fail(f"ranks hung: {e}")
    written = {}
    for rank in range(WORLD_SIZE):
        with open(os.path.join(out, f"totals.rank{rank}.json")) as f:
            data = json.load(f)
        data["layers"] = {int(k): v for k, v in data["layers"].items()}
        written[rank] = data
    return written


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ddp"))
    return out, {rank: data["layers"] for rank, data in _launch_ranks(_train_worker, out).items()}


def _file_totals(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {"calls": len(rows), "hits": sum(int(r["hits"]) for r in rows),
            "misses": sum(int(r["misses"]) for r in rows), "vectors": sum(int(r["vectors"]) for r in rows),
            "N": [int(r["N"]) for r in rows], "call": [int(r["call"]) for r in rows]}


def test_weights_identical_across_ranks(ddp_run):
    out, _ = ddp_run
    w0 = torch.load(os.path.join(out, "weights.rank0.pt"))
    w1 = torch.load(os.path.join(out, "weights.rank1.pt"))
    assert w0.keys() == w1.keys()
    initial = _tiny_model().state_dict()
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    assert any(not torch.equal(w0[k], initial[k]) for k in w0), "training did not change the weights"


def test_each_rank_exports_its_own_files(ddp_run):
    out, totals = ddp_run
    names = sorted(os.listdir(os.path.join(out, "ranks")))
    layers = sorted(totals[0])
    assert layers == [0, 1] and sorted(totals[1]) == layers
    expected = sorted([f"hitlog-{l:03d}.rank{r}.csv" for l in layers for r in range(WORLD_SIZE)]
                      + [f"overflow.rank{r}.csv" for r in range(WORLD_SIZE)])
    assert names == expected  # no shared hitlog-NNN.csv, no leftover temporary folder
    for rank in range(WORLD_SIZE):
        for layer in layers:
            got = _file_totals(os.path.join(out, "ranks", f"hitlog-{layer:03d}.rank{rank}.csv"))
            mine = totals[rank][layer]
            assert got["calls"] == mine["calls"] == STEPS
            assert (got["hits"], got["misses"], got["vectors"]) == (mine["hits"], mine["misses"], mine["vectors"])
            assert got["N"] == [BATCH[rank]] * STEPS  # this rank's batch: not the other rank's file
    assert sum(totals[r][l]["hits"] for r in totals for l in layers) > 0, "no hits at all: reuse not exercised"


def test_merged_log_holds_both_ranks(ddp_run):
    out, totals = ddp_run
    merged = os.path.join(out, "merged")
    assert sorted(os.listdir(merged)) == ["hitlog-000.csv", "hitlog-001.csv", "overflow.csv"]
    for layer in (0, 1):
        got = _file_totals(os.path.join(merged, f"hitlog-{layer:03d}.csv"))
        for key in ("calls", "hits", "misses", "vectors"):
            assert got[key] == sum(totals[r][layer][key] for r in range(WORLD_SIZE)), (layer, key)
        assert got["call"] == list(range(WORLD_SIZE * STEPS))
        assert got["N"] == [BATCH[0]] * STEPS + [BATCH[1]] * STEPS  # (rank, call) order
        with open(os.path.join(merged, f"hitlog-{layer:03d}.csv")) as f:
            header = f.readline()
        assert header.rstrip("\n") == ",".join(mercury.hitlog_columns())  # the single-process format
    with open(os.path.join(merged, "overflow.csv")) as f:
        assert f.read().strip() == ",".join(distributed.OVERFLOW_COLUMNS)


def test_simulator_runs_on_merged_log(ddp_run, tmp_path):
    if tools.find_tool("mercury-sim") is None:
        pytest.skip("mercury-sim not built")
    from mercury.simulate import simulate
    out, totals = ddp_run
    report = simulate(os.path.join(out, "merged"), str(tmp_path / "sim"))
    assert int(report.totals["layers"]) == 2
    assert int(report.totals["vectors"]) == sum(t[l]["vectors"] for t in totals.values() for l in t)
    assert int(report.totals["hits"]) == sum(t[l]["hits"] for t in totals.values() for l in t)


# --- merge on hand-written files (in the format before: hitmap-NNN names, S0/S1/vector columns) -----------------

HEADER = ("N,C,H,W,S0,S1,hits,misses,call,mode,vector,out_channels,kernel_h,kernel_w,out_h,out_w,groups,"
          "stride_h,stride_w,pad_h,pad_w,dilation_h,dilation_w,hitmap")


def _row(n, call, hits, kernel=3, c=1):
    s0 = n * 36
    return f"{n},{c},8,8,{s0},20,{hits},{s0 - hits},{call},reuse,patch,4,{kernel},{kernel},6,6,1,1,1,0,0,1,1,"


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n")


def _overflow(path, rows=()):
    _write(path, [",".join(distributed.OVERFLOW_COLUMNS), *rows])


def test_merge_renumbers_calls_and_sums_overflow(tmp_path):
    ranks = tmp_path / "ranks"
    ranks.mkdir()
    # rank 1's rows written out of call order: the merge sorts by call
    _write(ranks / "hitmap-000.rank0.csv", [HEADER, _row(2, 0, 5), _row(2, 1, 7)])
    _write(ranks / "hitmap-000.rank1.csv", [HEADER, _row(3, 1, 11), _row(3, 0, 13)])
    _overflow(ranks / "overflow.rank0.csv", ["0,1,2,3,5"])
    _overflow(ranks / "overflow.rank1.csv", ["0,2,1,1,2", "4,1,0,9,9"])
    summary = distributed.merge_rank_hitlogs(str(ranks), str(tmp_path / "merged"), world_size=2)
    assert summary[0]["calls"] == 4 and summary[0]["hits"] == 36 and summary[0]["ranks"] == [0, 1]
    with open(tmp_path / "merged" / "hitlog-000.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["call"] for r in rows] == ["0", "1", "2", "3"]
    assert [r["hits"] for r in rows] == ["5", "7", "13", "11"]
    assert [r["N"] for r in rows] == ["2", "2", "3", "3"]
    assert (tmp_path / "merged" / "overflow.csv").read_text().splitlines() == [
        ",".join(distributed.OVERFLOW_COLUMNS), "0,3,3,4,7", "4,1,0,9,9"]


def test_merge_refuses_mismatched_geometry(tmp_path):
    ranks = tmp_path / "ranks"
    ranks.mkdir()
    _write(ranks / "hitmap-000.rank0.csv", [HEADER, _row(2, 0, 5)])
    _write(ranks / "hitmap-000.rank1.csv", [HEADER, _row(2, 0, 5), _row(2, 1, 5, kernel=5)])
    with pytest.raises(ValueError, match=r"hitmap-000\.rank1\.csv:3: layer 0: kernel_h 5 differs from 3"):
        distributed.merge_rank_hitlogs(str(ranks), str(tmp_path / "merged"))
    _write(ranks / "hitmap-000.rank1.csv", [HEADER, _row(2, 0, 5, c=3)])
    with pytest.raises(ValueError, match=r"hitmap-000\.rank1\.csv:2: layer 0: C 3 differs from 1"):
        distributed.merge_rank_hitlogs(str(ranks), str(tmp_path / "merged"))


def test_merge_refuses_missing_rank_and_same_folder(tmp_path):
    ranks = tmp_path / "ranks"
    ranks.mkdir()
    _write(ranks / "hitmap-000.rank0.csv", [HEADER, _row(2, 0, 5)])
    _overflow(ranks / "overflow.rank0.csv")
    with pytest.raises(ValueError, match=r"rank\(s\) \[1\] exported nothing"):
        distributed.merge_rank_hitlogs(str(ranks), str(tmp_path / "merged"), world_size=2)
    with pytest.raises(ValueError, match="must differ"):
        distributed.merge_rank_hitlogs(str(ranks), str(ranks))


def test_export_rank_hitlog_without_process_group(tmp_path):
    conv = nn.Conv2d(1, 2, 3)
    model = nn.Sequential(conv)
    mercury.convert(model, mode="observe")
    mercury.hitlog_reset()
    model(torch.zeros(1, 1, 5, 5))
    (tmp_path / "hitmap-000.rank3.csv").write_text("stale\n")  # another rank's file: untouched
    (tmp_path / "hitmap-007.rank0.csv").write_text("stale\n")  # this rank's old file: removed
    written = distributed.export_rank_hitlog(str(tmp_path))
    assert sorted(os.path.basename(p) for p in written) == ["hitlog-000.rank0.csv", "overflow.rank0.csv"]
    assert sorted(os.listdir(tmp_path)) == ["hitlog-000.rank0.csv", "hitmap-000.rank3.csv", "overflow.rank0.csv"]
    assert (tmp_path / "hitmap-000.rank3.csv").read_text() == "stale\n"
    got = _file_totals(str(tmp_path / "hitlog-000.rank0.csv"))
    assert got["calls"] == 1 and got["vectors"] == 9
    mercury.hitlog_reset()


# --- plain mercury.hitlog_export under a process group ----------------------------------------------------------

def _plain_export_worker(rank: int, world_size: int, out: str) -> None:
    import mercury
    from mercury import distributed as mdist
    from mercury.hitlog import layer_totals as totals_of

    model = _tiny_model()
    mercury.convert(model, mode="reuse")
    mercury.hitlog_reset()
    with torch.no_grad():
        for step in range(STEPS):
            model(_batch(rank, step)[0])
    layers = mercury.hitlog_export(os.path.join(out, "log"))  # same folder on every rank, no rank given
    with open(os.path.join(out, f"totals.rank{rank}.json"), "w") as f:
        json.dump({"layers": totals_of(mercury.hitlog()), "returned": layers}, f)
    torch.distributed.barrier()
    if rank == 0:
        mdist.merge_rank_hitlogs(os.path.join(out, "log"), os.path.join(out, "merged"), world_size=world_size)


def test_plain_hitlog_export_under_process_group_keeps_every_rank(tmp_path):
    out = str(tmp_path)
    written = _launch_ranks(_plain_export_worker, out)
    totals = {rank: data["layers"] for rank, data in written.items()}
    assert all(data["returned"] == 2 for data in written.values())  # each rank's layer files
    layers = [0, 1]
    assert all(sorted(totals[r]) == layers for r in range(WORLD_SIZE))
    names = sorted(os.listdir(os.path.join(out, "log")))
    assert names == sorted([f"hitlog-{l:03d}.rank{r}.csv" for l in layers for r in range(WORLD_SIZE)]
                           + [f"overflow.rank{r}.csv" for r in range(WORLD_SIZE)])  # no shared hitlog-NNN.csv
    for rank in range(WORLD_SIZE):
        for layer in layers:
            got = _file_totals(os.path.join(out, "log", f"hitlog-{layer:03d}.rank{rank}.csv"))
            mine = totals[rank][layer]
            assert (got["calls"], got["hits"], got["misses"], got["vectors"]) == (
                mine["calls"], mine["hits"], mine["misses"], mine["vectors"])
            assert got["N"] == [BATCH[rank]] * STEPS  # this rank's own calls, not overwritten by the other's
    for layer in layers:
        got = _file_totals(os.path.join(out, "merged", f"hitlog-{layer:03d}.csv"))
        for key in ("calls", "hits", "misses", "vectors"):
            assert got[key] == sum(totals[r][layer][key] for r in range(WORLD_SIZE)), (layer, key)
    assert sum(totals[r][l]["hits"] for r in totals for l in layers) > 0


def test_plain_hitlog_export_without_process_group_keeps_fixed_names(tmp_path):
    assert not (torch.distributed.is_available() and torch.distributed.is_initialized())
    model = nn.Sequential(nn.Conv2d(1, 2, 3))
    mercury.convert(model, mode="observe")
    mercury.hitlog_reset()
    model(torch.zeros(1, 1, 5, 5))
    assert mercury.hitlog_export(str(tmp_path)) == 1
    assert sorted(os.listdir(tmp_path)) == ["hitlog-000.csv", "overflow.csv"]
    mercury.hitlog_reset()


# --- torchrun ---------------------------------------------------------------------------------------------------

def test_torchrun_train_ddp(tmp_path):
    """benchmarks/train_ddp.py under `python -m torch.distributed.run --nproc_per_node 2` (what the torchrun
    binary runs): both ranks export, rank 0 merges, the merge holds the sum of the ranks' counts."""
    from models import data
    try:
        data.dataset_dir("fashion_mnist")
    except FileNotFoundError as e:
        pytest.skip(str(e))
    out = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(WORLD_SIZE),
           "--master_addr", "127.0.0.1", "--master_port", str(distributed.free_port()),
           os.path.join(ROOT, "benchmarks", "train_ddp.py"), "--steps", "2", "--batch-size", "4",
           "--out", str(out), "--timeout", str(TORCHRUN_TIMEOUT)]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TORCHRUN_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"torchrun did not finish within {TORCHRUN_TIMEOUT:.0f} s: {e.stdout}\n{e.stderr}")
    log = f"exit {proc.returncode} after {time.monotonic() - start:.1f} s\n{proc.stdout}\n{proc.stderr}"
    assert proc.returncode == 0, log
    assert f"merged 3 layers from {WORLD_SIZE} ranks" in proc.stdout, log
    ranks, merged = out / "ranks", out / "hitlog"
    layers = [0, 1, 2]  # small_cnn's convs
    assert sorted(os.listdir(ranks)) == sorted([f"hitlog-{l:03d}.rank{r}.csv" for l in layers
                                                for r in range(WORLD_SIZE)]
                                               + [f"overflow.rank{r}.csv" for r in range(WORLD_SIZE)]), log
    for layer in layers:
        per_rank = [_file_totals(str(ranks / f"hitlog-{layer:03d}.rank{r}.csv")) for r in range(WORLD_SIZE)]
        assert all(t["calls"] == 2 and t["N"] == [4, 4] for t in per_rank)
        got = _file_totals(str(merged / f"hitlog-{layer:03d}.csv"))
        for key in ("calls", "hits", "misses", "vectors"):
            assert got[key] == sum(t[key] for t in per_rank), (layer, key)
    with open(out / "summary.json") as f:
        summary = json.load(f)
    assert summary["world_size"] == WORLD_SIZE and summary["steps"] == 2
