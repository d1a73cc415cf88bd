"""Everything above the op takes a device: inputs follow the model's device, --device is one flag everywhere
(default cuda when available, a clear error for a device this machine lacks), DDP picks its backend by device.
Here the device is "cpu", passed explicitly; CUDA runs where the op has kernels and a GPU is lent."""
import argparse

import pytest
import torch

import mercury
from mercury import distributed
from mercury.order import model_device, run_example, to_device
from mercury.study import cli, inference


def test_inputs_follow_the_model():
    model = torch.nn.Linear(3, 2).to("cpu")
    example = {"x": torch.ones(1, 3), "note": "kept"}
    moved = to_device(example, "cpu")
    assert moved["x"] is example["x"] and moved["note"] == "kept"   # already there: no copy
    assert [t.device.type for t in to_device((torch.ones(1), [torch.ones(1)]), "meta")[1]] == ["meta"]
    assert model_device(model) == torch.device("cpu") and model_device(torch.nn.ReLU()) == torch.device("cpu")
    assert run_example(model, torch.ones(4, 3).to("cpu")).shape == (4, 2)


def test_one_device_flag_with_a_clear_error_for_a_missing_device():
    parser = argparse.ArgumentParser()
    cli.add_device(parser)
    assert parser.parse_args(["--device", "cpu"]).device == "cpu"
    assert parser.parse_args([]).device == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(argparse.ArgumentTypeError, match="not a torch device"):
        cli.device_name("gpu0")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: --device cuda is valid here")
    with pytest.raises(argparse.ArgumentTypeError, match="--device cuda: no CUDA device here .*use --device cpu"):
        cli.device_name("cuda")


def test_the_study_refuses_cuda_without_cuda_and_runs_on_the_cpu_when_told(tmp_path, capsys):
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit):
            inference.parse_args(["--models", "small_cnn", "--device", "cuda"])
        assert "no CUDA device here" in capsys.readouterr().err
    args = inference.parse_args(["--models", "small_cnn", "--device", "cpu"])
    assert inference.study_from(args).device == "cpu"


def test_ddp_backend_and_rank_devices():
    assert distributed.backend_for("cuda") == "nccl" and distributed.backend_for("cuda:1") == "nccl"
    assert distributed.backend_for("cpu") == "gloo" and distributed.backend_for(torch.device("cpu")) == "gloo"
    assert distributed.rank_device("cpu", 3) == torch.device("cpu")
    assert distributed.rank_device("cuda:0", 3) == torch.device("cuda", 0)


def test_profile_and_calibrate_take_the_model_where_it_is(tmp_path):
    from mercury.headroom import headroom
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 3)).to("cpu").eval()
    batches = [torch.rand(2, 1, 6, 6), torch.rand(2, 1, 6, 6)]
    with mercury.profile(model, simulate=False) as prof:
        model(batches[0])
    assert prof.reports[0].layers[0]["calls"] == 1
    result = headroom(model, batches[:1], thresholds=(0.1,), kinds=mercury.order.ALL_KINDS)
    assert [layer["name"] for layer in result["layers"]] == ["0", "2"]


def test_convert_keeps_the_model_s_device():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.Linear(4, 2)).to("meta")
    converted = mercury.convert(model, kinds=mercury.order.ALL_KINDS)   # no example: nothing runs
    assert converted is model and isinstance(model[0], mercury.MercuryConv2d)
    assert {p.device.type for p in model.parameters()} == {"meta"}
