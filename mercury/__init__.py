"""MERCURY for PyTorch: the mercury::conv2d and mercury::linear operators, their hit log, the TorchScript rewrite,
and mercury.profile (any model, any loop: per-layer hits, simulated cycles and energy, what reuse does to the output).

Importing this package loads libmercury_ops.so, after which ``torch.ops.mercury.conv2d`` and ``.linear`` exist. The op, the hit
log and ``convert`` need only that library; ``rewrite`` also needs the ``mercury._C`` bindings, loaded on first use.
The ops run on CPU and CUDA tensors (``cuda_kernels``); ``kernels`` says which kernels CPU tensors take: the CPU
kernels, or with MERCURY_KERNELS=device in the environment the device kernels that CUDA tensors take.
"""
import os

from mercury import _torch_support

_HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_HINT = _torch_support.REBUILD
_torch_support.check_torch(_HERE)
LIBRARY_PATH = os.path.join(_HERE, "libmercury_ops.so")
_torch_support.load_library(LIBRARY_PATH)
kernels = _torch_support.check_kernels()
cuda_kernels = _torch_support.cuda_kernels()
_torch_support.register_effects()
_torch_support.wait_for_records_at_exit()

from mercury import settings  # noqa: E402
from mercury.hitlog import (hitlog, hitlog_columns, hitlog_export, hitlog_hitmap, hitlog_overflow,  # noqa: E402
                            hitlog_reset, hitlog_schema, hitlog_set_capacity, hitlog_stats, hitlog_take)
from mercury.functional import conv2d, linear  # noqa: E402
from mercury.convert import MercuryConv2d, MercuryLinear, convert, layer_table  # noqa: E402
from mercury.rewrite import rewrite  # noqa: E402
from mercury.schedules import schedule  # noqa: E402
from mercury.profiler import profile  # noqa: E402
from mercury.handlers import tensorboard_handler  # noqa: E402

defaults = settings.defaults

__all__ = ["conv2d", "linear", "convert", "layer_table", "MercuryConv2d", "MercuryLinear", "rewrite", "profile", "schedule",
           "tensorboard_handler", "defaults", "settings", "hitlog", "hitlog_columns", "hitlog_export",
           "hitlog_hitmap", "hitlog_overflow", "hitlog_reset", "hitlog_schema", "hitlog_set_capacity", "hitlog_stats",
           "hitlog_take", "LIBRARY_PATH", "BUILD_HINT", "cuda_kernels", "kernels"]
