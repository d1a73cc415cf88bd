"""Structure rules from the issue "Say each thing once", checked on the live tree.

1. No function (Python or C++) longer than 80 lines outside tests and fixtures.
2. No C++ function takes more than 8 parameters.
3. No folder imports a folder that imports it back (Python packages and the C++ folders ops/, csrc/, sim/).

Each rule is one test whose failure message lists every offender as `file:line name value`. The checkers take a
root and a list of repo-relative paths, so the tests at the bottom run them on small synthetic trees in tmp_path
to show that every rule can fail.
"""

import ast
import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 80
MAX_PARAMETERS = 8
PYTHON_PACKAGES = ("mercury", "models", "benchmarks")
CPP_FOLDERS = ("ops", "csrc", "sim")
CTAGS_MISSING = "Universal Ctags is not installed: install Debian's `universal-ctags` package (.ci/install.sh lists it)"


# ----------------------------------------------------------------------------------------------------------- files


def tracked(root, suffixes):
    """Repo-relative paths of the tracked files ending in one of `suffixes` that exist in the work tree."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True).stdout
    paths = [p for p in out.decode().split("\0") if p.endswith(tuple(suffixes))]
    return sorted(p for p in paths if (Path(root) / p).is_file())


def python_sources(paths):
    """Python files outside tests, fixtures and the TF.js reference dump."""
    return [
        p
        for p in paths
        if not p.startswith("tests/")
        and "/tests/" not in p
        and "fixtures" not in p
        and not p.startswith("models/tfjs_reference/")
    ]


def cpp_sources(paths):
    """C++ files outside tests and the fuzzers."""
    return [
        p
        for p in paths
        if not p.startswith(("tests/", "sim/tests/", "sim/fuzz/")) and "/tests/" not in p and "fixtures" not in p
    ]


def offenders_message(rule, offenders):
    return f"{rule}: {len(offenders)} offender(s)\n" + "\n".join("  " + o for o in offenders)


# ------------------------------------------------------------------------------------------------ rule 1: length


def python_long_functions(root, paths, limit=MAX_FUNCTION_LINES):
    """`file:line name N lines` for every Python def longer than `limit` lines (nested defs count in their parent)."""
    found = []
    for rel in paths:
        tree = ast.parse((Path(root) / rel).read_text(encoding="utf-8"), filename=rel)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found.append((rel, node.lineno, node.name, length))
    return [f"{f}:{line} {name} {n} lines" for f, line, name, n in sorted(found)]


def ctags_available():
    exe = shutil.which("ctags")
    if exe is None:
        return False
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    return "Universal Ctags" in version


def require_ctags():
    if not ctags_available():
        pytest.skip(CTAGS_MISSING)


def cpp_functions(root, paths):
    """Function definitions found by Universal Ctags: dicts with file, name, line, end, signature."""
    if not paths:
        return []
    cmd = ["ctags", "--fields=+neS", "--c++-kinds=+f", "--language-force=C++", "-o", "-", *paths]
    out = subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout
    functions = []
    for row in out.splitlines():
        cols = row.split("\t")
        # name, file, pattern (ends in ;"), then kind and key:value fields
        tail = next((i for i, c in enumerate(cols) if c.endswith(';"')), None)
        if tail is None or tail + 1 >= len(cols) or cols[tail + 1] != "f":
            continue
        fields = dict(c.split(":", 1) for c in cols[tail + 2 :] if ":" in c)
        name = cols[0]
        if name.startswith("__anon") or name.startswith("TORCH_LIBRARY"):
            continue  # lambdas and operator registration blocks
        functions.append(
            {
                "file": cols[1],
                "name": name,
                "line": int(fields["line"]),
                "end": int(fields.get("end", fields["line"])),
                "signature": fields.get("signature", "()"),
            }
        )
    return functions


def cpp_long_functions(root, paths, limit=MAX_FUNCTION_LINES):
    found = []
    for fn in cpp_functions(root, paths):
        length = fn["end"] - fn["line"] + 1
        if length > limit:
            found.append((fn["file"], fn["line"], fn["name"], length))
    return [f"{f}:{line} {name} {n} lines" for f, line, name, n in sorted(found)]


# -------------------------------------------------------------------------------------------- rule 2: parameters


def count_parameters(signature):
    """Parameters in a ctags signature such as `(int a,std::map<int, int> b)`: top-level commas + 1."""
    inner = signature.strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    inner = inner.strip()
    if inner in ("", "void"):
        return 0
    depth, commas = 0, 0
    for ch in inner:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            commas += 1
    return commas + 1


def cpp_wide_functions(root, paths, limit=MAX_PARAMETERS):
    found = []
    for fn in cpp_functions(root, paths):
        n = count_parameters(fn["signature"])
        if n > limit:
            found.append((fn["file"], fn["line"], fn["name"], n))
    return [f"{f}:{line} {name} {n} parameters" for f, line, name, n in sorted(found)]


# ------------------------------------------------------------------------------------------ rule 3: import cycles


def module_file(root, dotted):
    """Repo-relative file of a dotted module name (`a/b.py` or `a/b/__init__.py`), or None outside the repo."""
    base = Path(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if (Path(root) / candidate).is_file():
            return candidate.as_posix()
    return None


def python_folder(rel):
    return Path(rel).parent.as_posix()


def imported_modules(rel, tree):
    """(line, dotted name candidates) for every import in a module, relative ones resolved; longest candidate first."""
    parts = list(Path(rel).with_suffix("").parts)
    package = parts[:-1]  # for __init__.py the package is the folder itself, same as for its siblings
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, [alias.name]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level - 1 <= len(package) else []
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                names = [f"{module}.{alias.name}" if module else alias.name]
                yield node.lineno, names + ([module] if module else [])


def python_import_edges(root, paths):
    """{(folder A, folder B): {(file, line, `imports module`)}} for every import from A that lands in B (A != B)."""
    edges = defaultdict(set)
    for rel in paths:
        tree = ast.parse((Path(root) / rel).read_text(encoding="utf-8"), filename=rel)
        source = python_folder(rel)
        for line, candidates in imported_modules(rel, tree):
            for dotted in candidates:
                target = module_file(root, dotted)
                if target is None:
                    continue
                folder = target[: -len("/__init__.py")] if target.endswith("/__init__.py") else python_folder(target)
                if folder != source:
                    edges[(source, folder)].add((rel, line, f"imports {dotted}"))
                break
    return edges


def two_way_ties(edges):
    """`A <-> B` then every `file:line imports/includes x` both ways, for each pair of folders tied both ways."""
    found = []
    for a, b in sorted(edges):
        if a < b and (b, a) in edges:
            evidence = sorted(edges[(a, b)]) + sorted(edges[(b, a)])
            found.append(f"{a} <-> {b}:" + "".join(f"\n      {f}:{line} {what}" for f, line, what in evidence))
    return found


def python_packages_sources(paths, packages=PYTHON_PACKAGES):
    return [p for p in python_sources(paths) if p.split("/", 1)[0] in packages]


def cpp_include_edges(root, paths, folders=CPP_FOLDERS):
    """{(top folder A, top folder B): {(file, line, `includes "x"`)}} for quoted includes landing in another folder."""
    root = Path(root)
    edges = defaultdict(set)
    for rel in paths:
        source = rel.split("/", 1)[0]
        if source not in folders:
            continue
        lines = (root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        for number, text in enumerate(lines, 1):
            stripped = text.strip()
            if not stripped.startswith("#"):
                continue
            directive = stripped[1:].strip()
            if not directive.startswith("include") or '"' not in directive:
                continue
            name = directive.split('"')[1]
            candidates = [os.path.normpath(os.path.join(os.path.dirname(rel), name))]
            if "/" in name:
                candidates.insert(0, os.path.normpath(name))
            target = next((c for c in candidates if (root / c).is_file()), None)
            if target is None or target.startswith(".."):
                continue
            folder = Path(target).parts[0]
            if folder in folders and folder != source:
                edges[(source, folder)].add((rel, number, f'includes "{name}"'))
    return edges


# ----------------------------------------------------------------------------------------- the rules on the tree


def test_python_functions_at_most_80_lines():
    offenders = python_long_functions(ROOT, python_sources(tracked(ROOT, [".py"])))
    assert not offenders, offenders_message(f"Python functions over {MAX_FUNCTION_LINES} lines", offenders)


def test_cpp_functions_at_most_80_lines():
    require_ctags()
    offenders = cpp_long_functions(ROOT, cpp_sources(tracked(ROOT, [".cpp", ".h"])))
    assert not offenders, offenders_message(f"C++ functions over {MAX_FUNCTION_LINES} lines", offenders)


def test_cpp_functions_at_most_8_parameters():
    require_ctags()
    offenders = cpp_wide_functions(ROOT, cpp_sources(tracked(ROOT, [".cpp", ".h"])))
    assert not offenders, offenders_message(f"C++ functions over {MAX_PARAMETERS} parameters", offenders)


def test_no_python_folder_imports_a_folder_that_imports_it_back():
    edges = python_import_edges(ROOT, python_packages_sources(tracked(ROOT, [".py"])))
    offenders = two_way_ties(edges)
    assert not offenders, offenders_message("Python folders importing each other", offenders)


def test_no_cpp_folder_includes_a_folder_that_includes_it_back():
    edges = cpp_include_edges(ROOT, tracked(ROOT, [".cpp", ".h"]))
    offenders = two_way_ties(edges)
    assert not offenders, offenders_message("C++ folders including each other", offenders)


# ------------------------------------------------------------------------------ the checkers on synthetic trees


def write(root, rel, text):
    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return rel


def test_python_length_checker_reports_a_long_function(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    write(tmp_path, "pkg/long.py", "def short():\n    return 1\n\n\ndef long():\n" + body)
    assert python_long_functions(tmp_path, ["pkg/long.py"]) == [f"pkg/long.py:5 long {MAX_FUNCTION_LINES + 1} lines"]
    write(tmp_path, "pkg/ok.py", "def at_limit():\n" + "".join(body.splitlines(keepends=True)[1:]))
    assert python_long_functions(tmp_path, ["pkg/ok.py"]) == []


def test_source_filters_skip_tests_and_fixtures():
    paths = [
        "tests/python/test_a.py",
        "sim/tests/a.cpp",
        "sim/fuzz/f.cpp",
        "pkg/tests/t.py",
        "tests/python/fixtures/x.py",
        "models/tfjs_reference/dump.py",
        "mercury/a.py",
        "sim/src/a.cpp",
    ]
    assert python_sources([p for p in paths if p.endswith(".py")]) == ["mercury/a.py"]
    assert cpp_sources([p for p in paths if p.endswith(".cpp")]) == ["sim/src/a.cpp"]


def test_cpp_length_checker_reports_a_long_function(tmp_path):
    require_ctags()
    body = "".join(f"  int x{i} = {i};\n" for i in range(MAX_FUNCTION_LINES))
    text = (
        "namespace n {\n"  # line 1
        "int short_one() { return 1; }\n"  # line 2
        "int long_one() {\n" + body + "  return 0;\n}\n"  # lines 3 .. 84
        "}\n"
        "TORCH_LIBRARY(n, m) {\n" + body + "}\n"
    )
    write(tmp_path, "src/a.cpp", text)
    assert cpp_long_functions(tmp_path, ["src/a.cpp"]) == [f"src/a.cpp:3 long_one {MAX_FUNCTION_LINES + 3} lines"]


def test_parameter_counter():
    assert count_parameters("()") == 0
    assert count_parameters("(void)") == 0
    assert count_parameters("(int a)") == 1
    assert count_parameters("(std::map<int, int> m,std::function<void(int, int)> f,int a[2],T t = T{1, 2})") == 4


def test_cpp_parameter_checker_reports_a_wide_function(tmp_path):
    require_ctags()
    nine = ", ".join(f"int a{i}" for i in range(9))
    eight = ", ".join(f"std::pair<int, int> b{i}" for i in range(8))
    text = f"#include <utility>\nint wide({nine}) {{ return 0; }}\nint ok({eight}) {{ return 0; }}\n"
    write(tmp_path, "src/w.cpp", text)
    assert cpp_wide_functions(tmp_path, ["src/w.cpp"]) == ["src/w.cpp:2 wide 9 parameters"]


def test_python_cycle_checker_reports_two_folders_importing_each_other(tmp_path):
    files = [
        write(tmp_path, "pkg/__init__.py", ""),
        write(tmp_path, "pkg/core.py", "def f():\n    from pkg.sub import helper\n"),
        write(tmp_path, "pkg/sub/__init__.py", ""),
        write(tmp_path, "pkg/sub/helper.py", "from .. import core\nimport os\n"),
        write(tmp_path, "pkg/other/__init__.py", "from pkg import core\n"),  # one way only: fine
    ]
    edges = python_import_edges(tmp_path, files)
    assert two_way_ties(edges) == [
        "pkg <-> pkg/sub:\n      pkg/core.py:2 imports pkg.sub.helper\n      pkg/sub/helper.py:1 imports pkg.core"
    ]
    assert ("pkg/other", "pkg") in edges and ("pkg", "pkg/other") not in edges


def test_cpp_cycle_checker_reports_two_folders_including_each_other(tmp_path):
    files = [
        write(tmp_path, "ops/a.h", '#pragma once\n#include "csrc/b.h"\n'),
        write(tmp_path, "csrc/b.h", "#pragma once\n"),
        write(tmp_path, "csrc/c.cpp", '#include "b.h"\n'),  # same folder, bare name
        write(tmp_path, "sim/src/s.h", "#pragma once\n"),
        write(tmp_path, "sim/src/s.cpp", '#include "s.h"\n#include <vector>\n'),
    ]
    assert two_way_ties(cpp_include_edges(tmp_path, files)) == []
    files.append(write(tmp_path, "csrc/d.cpp", '#include "ops/a.h"\n'))
    assert two_way_ties(cpp_include_edges(tmp_path, files)) == [
        'csrc <-> ops:\n      csrc/d.cpp:1 includes "ops/a.h"\n      ops/a.h:2 includes "csrc/b.h"'
    ]


def test_cpp_rules_skip_naming_the_package_when_ctags_is_missing(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.skip.Exception, match="universal-ctags"):
        require_ctags()
