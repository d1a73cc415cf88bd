"""Prints, as CMake set() commands, what the torch this interpreter imports says about itself (cmake/torch.cmake
reads them). The folders are those torch.utils.cpp_extension.include_paths()/library_paths() give for CPU code;
they are computed here because importing cpp_extension needs setuptools, which a Python 3.12 venv lacks."""
import os

import torch

root = os.path.dirname(torch.__file__)
values = {
    "TORCH_VERSION": torch.__version__,
    "TORCH_CUDA_VERSION": torch.version.cuda or "",  # empty for a CPU build
    "TORCH_CXX11_ABI": int(torch._C._GLIBCXX_USE_CXX11_ABI),
    "TORCH_INCLUDE_DIR": os.path.join(root, "include"),
    "TORCH_API_INCLUDE_DIR": os.path.join(root, "include", "torch", "csrc", "api", "include"),
    "TORCH_LIBRARY_DIR": os.path.join(root, "lib"),
}
for name, value in values.items():
    print(f'set({name} "{value}")')
