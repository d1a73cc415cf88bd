"""The device kernels keep the CPU kernels' hit-log records on real data through trained networks: the trained
InceptionV3 (npm nsfwjs) on real photos and the trained MiniLM on real e-mails, run once with the CPU kernels and
once with MERCURY_KERNELS=device (the code CUDA tensors take, here on CPU tensors), every layer in observe with hit
maps, the signature scheme cycling sign / e2lsh / svd over the layers (benchmarks/device_records.py). Every record
must be the same: hits and hit map."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "benchmarks", "device_records.py")


def _records(tmp_path, model, kernels, batches, batch_size):
    out = tmp_path / kernels
    env = dict(os.environ, PYTHONPATH=ROOT, MERCURY_KERNELS=kernels)
    subprocess.run([sys.executable, SCRIPT, "run", "--model", model, "--batches", str(batches), "--batch-size",
                    str(batch_size), "--out", str(out)], env=env, check=True, capture_output=True, text=True)
    return str(out)


@pytest.mark.parametrize("model,batches,batch_size", [("inception_v3_nsfwjs", 1, 4), ("minilm_l6", 1, 8)])
def test_device_kernels_give_the_cpu_kernels_records_on_a_trained_network(tmp_path, model, batches, batch_size):
    cpu = _records(tmp_path, model, "cpu", batches, batch_size)
    device = _records(tmp_path, model, "device", batches, batch_size)
    proc = subprocess.run([sys.executable, SCRIPT, "compare", cpu, device, "--exact"], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    result = json.loads(proc.stdout)
    assert proc.returncode == 0 and result["identical"] == result["records"], result
    assert result["records"] == json.load(open(os.path.join(cpu, "run.json")))["records"] > 0
    assert result["hits_a"] > 0  # hits occurred, so the comparison compared something
