"""mercury::linear in every capture path: torch.library.opcheck on a case matrix, torch.compile (same output and
hit-log records), torch.export, TorchScript, mercury.convert / mercury.rewrite with one layer numbering over conv and
linear layers (the three passes agree layer by layer), and Hugging Face models built from configs with random
weights (models/random_transformers.py)."""
import copy
import itertools
import warnings

import pytest
import torch
import torch.nn as nn

import mercury
from mercury.order import ALL_KINDS

OP = torch.ops.mercury.linear.default
SHAPES = [(6, 5), (2, 4, 5)]


def _cases():
    """Every mode x scheme (9), each on both input ranks, bias or none, requires_grad or not, both dtypes."""
    cases = []
    for i, (mode, scheme) in enumerate(itertools.product(["off", "observe", "reuse"], ["sign", "e2lsh", "svd"])):
        for shape in SHAPES:
            cases.append((mode, scheme, shape, i % 2 == 0, (i + len(cases)) % 2 == 0,
                          (torch.float32, torch.float64)[len(cases) % 2]))
    return cases


CASES = _cases()


def test_the_matrix_covers_what_it_claims():
    assert len(CASES) >= 16
    assert {(c[0], c[1]) for c in CASES} == set(itertools.product(["off", "observe", "reuse"], ["sign", "e2lsh", "svd"]))
    assert {c[2] for c in CASES} == set(SHAPES) and {c[3] for c in CASES} == {True, False}
    assert {c[4] for c in CASES} == {True, False} and {c[5] for c in CASES} == {torch.float32, torch.float64}


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{len(c[2])}d-{'bias' if c[3] else 'nobias'}-"
                                             f"{'grad' if c[4] else 'nograd'}-{str(c[5])[6:]}" for c in CASES])
def test_opcheck(case):
    mode, scheme, shape, bias, grad, dtype = case
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, 2, shape, generator=g).to(dtype).requires_grad_(grad)  # few distinct rows: real hits
    w = torch.randn(3, shape[-1], generator=g, dtype=dtype, requires_grad=grad)
    b = torch.randn(3, generator=g, dtype=dtype, requires_grad=grad) if bias else None
    torch.library.opcheck(OP, (x, w, b, 1), dict(mode=mode, signature=scheme, sig_bits=8, bucket_width=2.0))


class Block(nn.Module):
    """A conv feeding linear layers that chain (o after q) and fan out (q, k and v read one input), an attention
    matmul of two activations, and a linear layer whose output is the module's output."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 8, 3, padding=1)
        self.q, self.k, self.v = nn.Linear(8, 8), nn.Linear(8, 8, bias=False), nn.Linear(8, 8)
        self.o = nn.Linear(8, 4)

    def forward(self, x):
        t = self.conv(x).flatten(2).transpose(1, 2)  # [N, tokens, 8]
        q, k, v = self.q(t), self.k(t), self.v(t)
        scores = torch.softmax(torch.matmul(q, k.transpose(1, 2)), -1)
        return self.o(torch.matmul(scores, v))


def _block_and_input():
    torch.manual_seed(0)
    x = torch.zeros(2, 2, 4, 4)
    x[:, :, 1:3, 1:3] = torch.rand(2, 2, 2, 2)
    return Block().eval(), x


EXPECTED = [("conv2d", "conv"), ("linear", "q"), ("linear", "k"), ("linear", "v"), ("linear", "o")]


def test_convert_numbers_conv_and_linear_layers_in_one_execution_order():
    model, x = _block_and_input()
    ref = model(x)
    table = mercury.layer_table(mercury.convert(model, example=x, kinds=ALL_KINDS, mode="observe"))
    assert [(row["kind"], row["name"]) for row in table] == EXPECTED
    assert isinstance(model.q, mercury.MercuryLinear) and set(model.state_dict()) == set(Block().state_dict())
    mercury.hitlog_reset()
    torch.testing.assert_close(model(x), ref)
    assert [(r["layer_id"], r["op"]) for r in mercury.hitlog()] == [(i, k) for i, (k, _) in enumerate(EXPECTED)]


def test_kinds_choose_what_is_converted():
    model, x = _block_and_input()
    assert [row["kind"] for row in mercury.layer_table(mercury.convert(copy.deepcopy(model), example=x))] == ["conv2d"]
    assert [row["name"] for row in mercury.layer_table(mercury.convert(copy.deepcopy(model), example=x, kinds="linear"))] == \
        ["q", "k", "v", "o"]
    with pytest.raises(ValueError, match="kinds must be"):
        mercury.convert(copy.deepcopy(model), kinds=["dense"])
    with pytest.raises(ValueError, match="has no layer of kinds.*it has linear layers"):
        mercury.convert(nn.Sequential(nn.Linear(3, 3)))


def test_the_three_passes_agree_layer_by_layer():
    model, x = _block_and_input()
    ref = model(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted, script_layers, _ = mercury.rewrite(torch.jit.script(model), kinds=ALL_KINDS, mode="observe")
        traced, trace_layers, _ = mercury.rewrite(torch.jit.trace(model, x), kinds=ALL_KINDS, mode="observe")
    program, export_layers, _ = mercury.rewrite(model, (x,), kinds=ALL_KINDS, mode="observe")
    eager = mercury.layer_table(mercury.convert(copy.deepcopy(model), example=x, kinds=ALL_KINDS))
    for layers in (script_layers, trace_layers, export_layers, eager):
        assert [(row["id"], row["kind"], row["name"]) for row in layers] == \
            [(i, k, n) for i, (k, n) in enumerate(EXPECTED)]
    for rewritten in (scripted, traced, program.module()):
        mercury.hitlog_reset()
        torch.testing.assert_close(rewritten(x), ref)
        assert [r["layer_id"] for r in mercury.hitlog()] == list(range(len(EXPECTED)))


def test_matmul_and_addmm_with_a_weight_are_linear_layers_in_the_graph_passes():
    class Projections(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(6, 4))
            self.b = nn.Parameter(torch.randn(4))

        def forward(self, t):
            return torch.addmm(self.b, t, self.w) + torch.matmul(t, self.w)

    model, t = Projections().eval(), torch.randn(5, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted, layers, _ = mercury.rewrite(torch.jit.script(model), kinds=ALL_KINDS, mode="observe")
    program, export_layers, _ = mercury.rewrite(model, (t,), kinds=ALL_KINDS, mode="observe")
    for rewritten, table in ((scripted, layers), (program.module(), export_layers)):
        assert [(row["op"].split("::")[-1].split(".")[-2 if "." in row["op"] else -1], row["weight_shape"])
                for row in table] == [("addmm", [4, 6]), ("matmul", [4, 6])]
        torch.testing.assert_close(rewritten(t), model(t))


def test_per_layer_overrides_address_linear_layers_by_id_and_name():
    model, x = _block_and_input()
    table = mercury.layer_table(mercury.convert(model, example=x, kinds=ALL_KINDS, mode="observe",
                                                per_layer={"k": {"sig_bits": 9}, 4: {"mode": "reuse"}}))
    assert (table[2]["sig_bits"], table[4]["mode"], table[1]["sig_bits"]) == (9, "reuse", 20)


def test_compile_keeps_the_output_and_the_records():
    model, x = _block_and_input()
    mercury.convert(model, example=x, kinds=ALL_KINDS, mode="reuse", sig_bits=6)
    mercury.hitlog_reset()
    eager = model(x)
    eager_records = [(r["layer_id"], r["hits"]) for r in mercury.hitlog()]
    compiled = torch.compile(model, fullgraph=True)
    mercury.hitlog_reset()
    torch.testing.assert_close(compiled(x), eager)
    assert [(r["layer_id"], r["hits"]) for r in mercury.hitlog()] == eager_records


def test_export_of_a_converted_model_runs_and_round_trips(tmp_path):
    model, x = _block_and_input()
    mercury.convert(model, example=x, kinds=ALL_KINDS, mode="reuse", sig_bits=6)
    program = torch.export.export(model, (x,))
    torch.export.save(program, str(tmp_path / "block.pt2"))
    torch.testing.assert_close(torch.export.load(str(tmp_path / "block.pt2")).module()(x), model(x))


def test_a_scripted_mercury_linear_trains():
    layer = mercury.MercuryLinear(5, 3, layer_id=0, mode="reuse", sig_bits=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = torch.jit.script(layer)
    x = torch.randint(0, 2, (4, 6, 5)).float()
    scripted(x).square().sum().backward()
    assert scripted.weight.grad is not None and scripted.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("build", ["random_bert", "random_distilbert"])
def test_hugging_face_models_with_random_weights_convert(build):
    from models import random_transformers
    model = getattr(random_transformers, build)()
    ids = torch.randint(0, 1000, (2, 12), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    ref = model(input_ids=ids, attention_mask=mask).last_hidden_state
    linears = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    table = mercury.layer_table(mercury.convert(model, example={"input_ids": ids, "attention_mask": mask},
                                                kinds=ALL_KINDS, mode="observe"))
    assert sorted(row["name"] for row in table) == sorted(linears) and len(table) >= 12
    mercury.hitlog_reset()
    torch.testing.assert_close(model(input_ids=ids, attention_mask=mask).last_hidden_state, ref)
    assert {r["op"] for r in mercury.hitlog()} == {"linear"}


def test_gpt2s_conv1d_projections_are_linear_layers_in_the_graph_passes():
    """GPT-2 (random weights, from a config) keeps its projections in transformers' Conv1D: an addmm with a weight
    [in, out], which the export and TorchScript passes take (mercury.convert sees no nn.Linear there)."""
    from models import random_transformers

    class Hidden(nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, ids):
            return self.model(input_ids=ids, use_cache=False).last_hidden_state

    model = Hidden(random_transformers.random_gpt2()).eval()
    ids = torch.randint(0, 1000, (2, 12), generator=torch.Generator().manual_seed(0))
    ref = model(ids)
    program, export_layers, _ = mercury.rewrite(model, (ids,), kinds=ALL_KINDS, mode="observe")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced, trace_layers, _ = mercury.rewrite(torch.jit.trace(model, (ids,)), kinds=ALL_KINDS, mode="observe")
    assert len(export_layers) == len(trace_layers) == 8  # 2 blocks x (qkv, attention out, mlp in, mlp out)
    assert [row["name"] for row in export_layers] == [row["name"] for row in trace_layers]
    for rewritten in (program.module(), traced):
        torch.testing.assert_close(rewritten(ids), ref)
