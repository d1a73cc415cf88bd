"""pip install --no-build-isolation .  — builds the C++ parts with CMake and installs the whole tool:

- the `mercury` package (op library, rewrite bindings, the study in mercury.study) and the `models` package
  (zoo, data loaders, topology export) that the study runs;
- the accelerator configs (mercury/configs/) and the two command-line tools, mercury-sim and mercury-rewrite
  (binaries in mercury/bin/, put on PATH by the entry points of mercury.tools).

The same CMake build serves C++ users (libmercury_ops.so, mercury-rewrite, mercury-sim); this file only drives it
and copies what it built into the package.
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
TOOLS = {"mercury-sim": os.path.join("sim", "mercury-sim"),
         "mercury-rewrite": os.path.join("csrc", "rewrite", "mercury-rewrite")}


class CMakeBuild(build_ext):
    def run(self):
        build_dir = os.path.join(ROOT, "build", "pip")
        subprocess.check_call(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                               "-DMERCURY_BUILD_TESTS=OFF", f"-DPython3_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 2), "--target",
                               "mercury_ops", "mercury_python", *TOOLS])
        target = os.path.join(os.path.abspath(self.build_lib), "mercury")
        os.makedirs(os.path.join(target, "bin"), exist_ok=True)
        os.makedirs(os.path.join(target, "configs"), exist_ok=True)
        # CMake copies every Python-loaded library next to mercury/__init__.py.
        for library in glob.glob(os.path.join(ROOT, "mercury", "*.so")):
            shutil.copy2(library, target)
        for name, path in TOOLS.items():
            shutil.copy2(os.path.join(build_dir, path), os.path.join(target, "bin", name))
        for config in glob.glob(os.path.join(ROOT, "configs", "*.cfg")):
            shutil.copy2(config, os.path.join(target, "configs"))


setup(
    name="mercury",
    version="0.1.0",
    description="MERCURY (input-similarity reuse for DNN training) as a PyTorch custom operator",
    packages=["mercury", "mercury.study", "models"],
    ext_modules=[Extension("mercury._cmake_placeholder", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    entry_points={"console_scripts": ["mercury-sim = mercury.tools:mercury_sim_main",
                                      "mercury-rewrite = mercury.tools:mercury_rewrite_main"]},
    python_requires=">=3.8",
)
