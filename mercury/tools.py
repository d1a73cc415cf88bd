"""The command-line tools next to the package: mercury-sim and mercury-rewrite (built by CMake in the source tree,
or copied into mercury/bin/ by pip install, which also puts both on PATH through the entry points below) and the
accelerator configs."""
import os
import shutil
import sys
from typing import Optional

PACKAGE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(PACKAGE)  # the checkout, when running from one
_BUILD_PATHS = {"mercury-sim": os.path.join("build", "sim", "mercury-sim"),
                "mercury-rewrite": os.path.join("build", "csrc", "rewrite", "mercury-rewrite")}
_ENV = {"mercury-sim": "MERCURY_SIM", "mercury-rewrite": "MERCURY_REWRITE"}


def find_tool(name: str, path: Optional[str] = None) -> Optional[str]:
    """`path`, $MERCURY_SIM / $MERCURY_REWRITE, the installed mercury/bin/NAME, the source tree's build/, or PATH."""
    candidates = [path, os.environ.get(_ENV[name]), os.path.join(PACKAGE, "bin", name),
                  os.path.join(SOURCE_ROOT, _BUILD_PATHS[name]), shutil.which(name)]
    for cand in candidates:
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def require_tool(name: str, path: Optional[str] = None) -> str:
    found = find_tool(name, path)
    if found is None:
        from mercury import BUILD_HINT
        raise FileNotFoundError(f"{name} not found (looked at {path or 'mercury/bin, build/'}, ${_ENV[name]}, PATH); "
                                f"build it: {BUILD_HINT}")
    return found


def config_path(name: str = "eyeriss_ws.cfg") -> str:
    """An accelerator config shipped with mercury: the installed mercury/configs/ or the checkout's configs/."""
    for folder in (os.path.join(PACKAGE, "configs"), os.path.join(SOURCE_ROOT, "configs")):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return os.path.join(SOURCE_ROOT, "configs", name)


def config_names() -> list:
    """The accelerator configs shipped with mercury, by name (eyeriss_ws, google_ws, scale32_os, ...)."""
    names = set()
    for folder in (os.path.join(PACKAGE, "configs"), os.path.join(SOURCE_ROOT, "configs")):
        if os.path.isdir(folder):
            names.update(f[:-len(".cfg")] for f in os.listdir(folder) if f.endswith(".cfg"))
    return sorted(names)


def resolve_config(config: Optional[str] = None) -> str:
    """An accelerator config by name (a shipped one: "eyeriss_ws", "eyeriss_ws.cfg") or by path; None: eyeriss_ws.
    An unknown name is a ValueError listing the shipped ones."""
    if config is None:
        return config_path()
    if os.path.isfile(config):
        return config
    name = config[:-len(".cfg")] if config.endswith(".cfg") else config
    if os.sep not in name and name in config_names():
        return config_path(name + ".cfg")
    raise ValueError(f"accelerator config {config!r}: no such file, and not a shipped config name "
                     f"({', '.join(config_names())})")


def _exec(name: str) -> None:
    binary = require_tool(name)
    env = dict(os.environ)
    # mercury-rewrite links the op and rewrite libraries, which pip puts next to __init__.py.
    env["LD_LIBRARY_PATH"] = PACKAGE + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    os.execve(binary, [name] + sys.argv[1:], env)


def mercury_sim_main() -> None:
    _exec("mercury-sim")


def mercury_rewrite_main() -> None:
    _exec("mercury-rewrite")
