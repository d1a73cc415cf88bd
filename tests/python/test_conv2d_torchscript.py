"""mercury::conv2d inside TorchScript: scripted, saved, loaded."""
import torch
import torch.nn.functional as F

import mercury


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(4, 3, 3, 3))

    def forward(self, x):
        y = torch.ops.mercury.conv2d(x, self.weight, None, [1, 1], [1, 1], [1, 1], 1, 5, "observe", 16, 64, 0,
                                     "patch", 0, "sign", 1.0, False)
        # An unused call must survive TorchScript's dead-code elimination: it still logs.
        torch.ops.mercury.conv2d(x, self.weight, None, [1, 1], [1, 1], [1, 1], 1, 6, "observe", 16, 64, 0,
                                 "patch", 0, "sign", 1.0, False)
        return y


def test_scripted_saved_loaded(tmp_path):
    torch.manual_seed(0)
    module = torch.jit.script(Block())
    path = str(tmp_path / "block.pt")
    module.save(path)
    loaded = torch.jit.load(path)
    x = torch.relu(torch.randn(2, 3, 8, 8))
    mercury.hitlog_reset()
    out = loaded(x)
    torch.testing.assert_close(out, F.conv2d(x, module.weight, None, 1, 1))
    assert [r["layer_id"] for r in mercury.hitlog()] == [5, 6]


def test_hitlog_ops_are_scriptable():
    @torch.jit.script
    def count_records() -> int:
        return torch.ops.mercury.hitlog_table().size(0)

    mercury.hitlog_reset()
    mercury.conv2d(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 2, 2))
    assert count_records() == 1
