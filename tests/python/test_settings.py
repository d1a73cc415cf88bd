"""The settings table (csrc/settings/settings_list.h) is the one source: schema, Python defaults, validation, CLI flags."""
import argparse

import pytest
import torch

import mercury
from mercury import settings


def test_schema_defaults_are_the_table_defaults():
    schema = torch.ops.mercury.conv2d.default._schema
    by_name = {a.name: a for a in schema.arguments}
    for row in settings.table():
        assert by_name[row["name"]].default_value == row["default"], row["name"]
    assert list(settings.defaults()) == [a.name for a in schema.arguments][8:]  # after input..layer_id
    assert mercury.defaults() == settings.defaults()


@pytest.mark.parametrize("given, message", [
    ({"sig_bits": 99}, "sig_bits must be in [1, 64], got 99"),
    ({"sig_bits": "x"}, "sig_bits needs an integer"),
    ({"sig_bits": True}, "sig_bits needs an integer"),
    ({"mode": "fast"}, "unknown mode 'fast'"),
    ({"colour": 1}, "unknown setting(s) ['colour']"),
    ({"cache_entries": 10, "cache_ways": 4}, "must be 0 or divide cache_entries (10)"),
])
def test_check_names_the_offending_value(given, message):
    with pytest.raises(ValueError) as info:
        settings.check(given, "here")
    assert message in str(info.value)


def test_check_types_values():
    assert settings.check({"sig_bits": "24", "record_hitmap": "true", "mode": "reuse"}) == \
        {"sig_bits": 24, "record_hitmap": True, "mode": "reuse"}


def test_flags_come_from_the_table():
    p = argparse.ArgumentParser()
    settings.add_arguments(p)
    args = p.parse_args(["--sig-bits", "32", "--mode", "reuse", "--record-hitmap"])
    assert settings.from_args(args) == dict(settings.defaults(), sig_bits=32, mode="reuse", record_hitmap=True)
    with pytest.raises(SystemExit):
        p.parse_args(["--sig-bits", "65"])


def test_convert_and_rewrite_refuse_bad_values_when_given():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))
    with pytest.raises(ValueError, match=r"\[1, 64\], got 99"):
        mercury.convert(net, sig_bits=99)
    with pytest.raises(ValueError, match=r"\[1, 64\], got 0"):
        mercury.rewrite(torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))), sig_bits=0)
    with pytest.raises(ValueError, match="id 5, but the model has 1"):
        mercury.rewrite(torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))), per_layer={5: {"mode": "off"}})
    with pytest.raises(ValueError, match="per_layer names layer"):
        mercury.convert(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)), example=torch.randn(1, 3, 8, 8),
                        per_layer={"nosuch": {"mode": "off"}})


def test_mercury_conv2d_passes_every_setting_of_the_table():
    """MercuryConv2d.forward names each setting (TorchScript needs plain attribute reads): a setting added to the
    list must be passed on here too, in schema order."""
    scripted = torch.jit.script(mercury.MercuryConv2d(3, 4, 3))
    node = next(n for n in scripted.graph.nodes() if n.kind() == "mercury::conv2d")
    passed = [i.node().s("name") if i.node().kind() == "prim::GetAttr" else None for i in node.inputs()][8:]
    assert passed == mercury.settings.names()
