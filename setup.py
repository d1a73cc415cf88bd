"""pip install .  — builds the C++ parts with CMake and installs the whole tool (metadata in pyproject.toml):

- the `mercury` package (op library, rewrite bindings, the study in mercury.study) and the `models` package
  (zoo, data loaders, TF.js importer) that the study runs;
- the accelerator configs (mercury/configs/) and the two command-line tools, mercury-sim and mercury-rewrite
  (binaries in mercury/bin/, put on PATH by the entry points of mercury.tools).

The C++ library is tied to the exact torch it is compiled against, so CMake builds against the torch of the
interpreter running pip (the environment being installed into), with or without pip's build isolation: pip's
isolated build environment hides that environment's packages through PYTHONPATH, so the CMake steps run without it.
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
# What Python loads, in CMake's build folder: the libraries, and the torch version they were built for.
PACKAGE_FILES = ("libmercury_ops.so", os.path.join("csrc", "rewrite", "libmercury_rewrite.so"),
                 os.path.join("csrc", "python", "_C*.so"), "torch_version.txt")


def target_environment():
    """os.environ without pip's build isolation, so sys.executable sees the torch it is installing next to."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONNOUSERSITE")}
    found = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"], env=env,
                           capture_output=True, text=True)
    if found.returncode != 0:
        sys.exit(f"mercury: building needs torch installed for {sys.executable} first "
                 f"(pip install torch==2.13.0): {found.stderr.strip().splitlines()[-1:]}")
    print(f"mercury: building against torch {found.stdout.strip()} of {sys.executable}")
    return env


class CMakeBuild(build_ext):
    def run(self):
        env = target_environment()
        build_dir = os.path.join(ROOT, "build", "pip")
        # Not copied next to the checkout's mercury/__init__.py: they are built against this environment's torch,
        # which need not be the one of the checkout's own build.
        subprocess.check_call(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                               "-DMERCURY_BUILD_TESTS=OFF", "-DMERCURY_COPY_INTO_PACKAGE=OFF",
                               f"-DPython3_EXECUTABLE={sys.executable}"], env=env)
        subprocess.check_call(["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 2), "--target",
                               "mercury_ops", "mercury_python", *TOOLS], env=env)
        target = os.path.join(os.path.abspath(self.build_lib), "mercury")
        os.makedirs(os.path.join(target, "bin"), exist_ok=True)
        os.makedirs(os.path.join(target, "configs"), exist_ok=True)
        for pattern in PACKAGE_FILES:
            for path in glob.glob(os.path.join(build_dir, pattern)):
                shutil.copy2(path, target)
        for name, path in TOOLS.items():
            shutil.copy2(os.path.join(build_dir, path), os.path.join(target, "bin", name))
        for config in glob.glob(os.path.join(ROOT, "configs", "*.cfg")):
            shutil.copy2(config, os.path.join(target, "configs"))


setup(ext_modules=[Extension("mercury._cmake_placeholder", sources=[])], cmdclass={"build_ext": CMakeBuild})
