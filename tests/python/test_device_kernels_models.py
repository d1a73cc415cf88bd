"""The device kernels keep the CPU kernels' hit-log records on real data through trained networks: the trained
InceptionV3 (npm nsfwjs) on real photos and the trained MiniLM on real e-mails, run once with the CPU kernels and
once with MERCURY_KERNELS=device (the code CUDA tensors take, here on CPU tensors), every layer in observe with hit
maps, the signature scheme cycling sign / e2lsh / svd over the layers (benchmarks/device_records.py). Every record
must be the same: hits and hit map. And what a GPU's own rounding can change, emulated on the CPU (--rounding),
stays inside the bound the GPU check holds CUDA's float32 records to."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "benchmarks", "device_records.py")


def _records(tmp_path, model, kernels, batches, batch_size, rounding=None):
    out = tmp_path / (kernels + (rounding or "").replace(":", ""))
    env = dict(os.environ, PYTHONPATH=ROOT, MERCURY_KERNELS=kernels)
    subprocess.run([sys.executable, SCRIPT, "run", "--model", model, "--batches", str(batches), "--batch-size",
                    str(batch_size), "--out", str(out)] + (["--rounding", rounding] if rounding else []),
                   env=env, check=True, capture_output=True, text=True)
    return str(out)


def _compare(a, b, *flags):
    proc = subprocess.run([sys.executable, SCRIPT, "compare", a, b, *flags], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("model,batches,batch_size", [("inception_v3_nsfwjs", 1, 4), ("minilm_l6", 1, 8)])
def test_device_kernels_give_the_cpu_kernels_records_on_a_trained_network(tmp_path, model, batches, batch_size):
    cpu = _records(tmp_path, model, "cpu", batches, batch_size)
    device = _records(tmp_path, model, "device", batches, batch_size)
    rc, result = _compare(cpu, device, "--exact")
    assert rc == 0 and result["identical"] == result["records"], result
    assert result["records"] == json.load(open(os.path.join(cpu, "run.json")))["records"] > 0
    assert result["hits_a"] > 0  # hits occurred, so the comparison compared something


def test_emulated_gpu_rounding_stays_inside_the_gpu_checks_bound(tmp_path):
    """Every layer input rounded to TF32 (what cuBLAS's TF32 GEMMs do to operands) through the trained MiniLM: some
    records change (the emulation is live) and the whole model's hit rate moves by less than the bound."""
    from benchmarks.gpu_check import FLOAT32_HIT_RATE_BOUND
    exact = _records(tmp_path, "minilm_l6", "cpu", 1, 8)
    rounded = _records(tmp_path, "minilm_l6", "cpu", 1, 8, rounding="tf32")
    _, result = _compare(exact, rounded)
    assert result["identical"] < result["records"], result
    assert result["hit_rate_difference"] <= FLOAT32_HIT_RATE_BOUND, result


def test_rounding_emulation_moves_values_as_documented():
    import torch
    from benchmarks.device_records import perturb_rounding
    x = torch.tensor([0.0, 1.0, -3.0e-3, 1.0 + 2.0 ** -20, float("inf"), -2.5e7])
    tf32 = perturb_rounding(x, "tf32", None)
    assert tf32[0] == 0 and tf32[1] == 1 and tf32[3] == 1 and tf32[4] == float("inf")
    assert (tf32.view(torch.int32) & 0x1FFF == 0).all()  # 10 mantissa bits left
    assert torch.allclose(tf32, x, rtol=2.0 ** -11)
    generator = torch.Generator().manual_seed(0)
    moved = perturb_rounding(x, "ulps:4", generator)
    steps = (moved.view(torch.int32) - x.view(torch.int32)).abs()
    assert moved[0] == 0 and moved[4] == float("inf") and (steps <= 4).all() and steps.sum() > 0
