"""models.zoo: every model builds, scripts, returns logits of the right shape; conv counts; weights loading."""
import pytest
import torch
import torch.nn as nn

from models import zoo

# nn.Conv2d modules per model (models.imagenet, torchvision's definitions; resnets include the 1x1 downsample convs).
CONV_COUNTS = {"alexnet": 5, "resnet18": 20, "resnet50": 53, "resnet101": 104, "vgg16": 13, "vgg19": 16,
               "googlenet": 57, "mobilenet_v2": 52, "small_cnn": 3, "small_resnet": 9,
               "vgg_28": 6, "resnet18_28": 20}


def test_model_list():
    assert set(zoo.MODELS) == set(CONV_COUNTS)


@pytest.mark.parametrize("name", sorted(CONV_COUNTS))
def test_build_script_shape(name):
    model = zoo.build(name, num_classes=7)
    assert not model.training
    assert sum(isinstance(m, nn.Conv2d) for m in model.modules()) == CONV_COUNTS[name]
    c, h, w = zoo.input_shape(name)
    size = 64 if c == 3 else 28          # 64x64 is valid for every ImageNet model here (adaptive pooling)
    x = torch.randn(2, c, size, size, generator=torch.Generator().manual_seed(1))
    sm = torch.jit.script(model)
    with torch.no_grad():
        ys, ye = sm(x), model(x)
    assert isinstance(ys, torch.Tensor), type(ys)   # googlenet: a Tensor, not GoogLeNetOutputs
    assert ys.shape == (2, 7)
    assert torch.allclose(ys, ye, atol=1e-5)


def test_script_helper_and_defaults():
    sm = zoo.script("small_cnn")
    assert isinstance(sm, torch.jit.ScriptModule)
    assert sm(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    with torch.no_grad():  # default class counts
        assert zoo.build("resnet18")(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)
        assert zoo.build("small_resnet")(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    assert zoo.input_shape("alexnet") == (3, 224, 224) and zoo.input_shape("small_cnn") == (1, 28, 28)


def test_deterministic_init_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b = zoo.build("small_resnet", seed=5), zoo.build("small_resnet", seed=5)
    c = zoo.build("small_resnet", seed=6)
    assert torch.equal(torch.get_rng_state(), before)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["conv1.weight"], sc["conv1.weight"])


def test_weights_roundtrip(tmp_path):
    src = zoo.build("small_cnn", seed=3)
    path = tmp_path / "w.pt"
    torch.save({"state_dict": {"module." + k: v for k, v in src.state_dict().items()}}, path)
    dst = zoo.build("small_cnn", seed=4, weights_path=str(path))
    assert torch.equal(dst.conv1.weight, src.conv1.weight)


def test_googlenet_weights_with_aux_keys(tmp_path):
    src = zoo.build("googlenet", num_classes=5)
    state = dict(src.state_dict())
    state["aux1.conv.conv.weight"] = torch.zeros(1)   # as in torchvision's checkpoint trained with aux heads
    path = tmp_path / "g.pt"
    torch.save(state, path)
    zoo.build("googlenet", num_classes=5, weights_path=str(path))


def test_weight_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        zoo.build("small_cnn", weights_path=str(tmp_path / "nope.pt"))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"this is not a torch file")
    with pytest.raises(ValueError, match="cannot read weights file"):
        zoo.build("small_cnn", weights_path=str(bad))
    other = tmp_path / "other.pt"
    torch.save(zoo.build("small_resnet").state_dict(), other)
    with pytest.raises(ValueError, match="missing keys.*unexpected keys"):
        zoo.build("small_cnn", weights_path=str(other))
    classes = tmp_path / "classes.pt"
    torch.save(zoo.build("small_cnn", num_classes=3).state_dict(), classes)
    with pytest.raises(ValueError, match=r"shape mismatches: fc2.weight"):
        zoo.build("small_cnn", weights_path=str(classes))
    notdict = tmp_path / "list.pt"
    torch.save([1, 2], notdict)
    with pytest.raises(ValueError, match="does not hold a state_dict"):
        zoo.build("small_cnn", weights_path=str(notdict))


def test_unknown_model_and_bad_classes():
    with pytest.raises(ValueError, match="unknown model 'resnet7'"):
        zoo.build("resnet7")
    with pytest.raises(ValueError, match="num_classes"):
        zoo.build("small_cnn", num_classes=0)
