"""pip install --no-build-isolation .  — builds the C++ parts with CMake and installs the `mercury` package.

The same CMake build serves C++ users (libmercury_ops.so, mercury-rewrite, mercury-sim); this file only drives it
and copies the shared libraries into the package.
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeBuild(build_ext):
    def run(self):
        build_dir = os.path.join(ROOT, "build", "pip")
        subprocess.check_call(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                               "-DMERCURY_BUILD_TESTS=OFF", f"-DPython3_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 2)])
        target = os.path.join(os.path.abspath(self.build_lib), "mercury")
        os.makedirs(target, exist_ok=True)
        # CMake copies every Python-loaded library next to mercury/__init__.py.
        for library in glob.glob(os.path.join(ROOT, "mercury", "*.so")):
            shutil.copy2(library, target)


setup(
    name="mercury",
    version="0.1.0",
    description="MERCURY (input-similarity reuse for DNN training) as a PyTorch custom operator",
    packages=["mercury"],
    ext_modules=[Extension("mercury._cmake_placeholder", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.8",
)
