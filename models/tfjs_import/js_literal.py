"""nsfwjs ships its TF.js model.json and weight shards as browserify modules (`*.min.js`): this reads the literal
each module exports with a small JavaScript literal parser (unquoted keys, `!0`/`!1` for true/false, `.5` numbers):
nothing is evaluated."""
import json
import math
import re
from typing import Any, Dict, List, Tuple

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<bool>![01])
  | (?P<ident>[A-Za-z_$][\w$]*)
  | (?P<punct>[{}\[\]:,])
""", re.VERBOSE)


def _js_string(tok: str) -> str:
    if tok[0] == "'":
        body = tok[1:-1].replace('\\\'', "'").replace('"', '\\"')
        tok = '"' + body + '"'
    return json.loads(tok)


def parse_js_literal(text: str, pos: int = 0) -> Tuple[Any, int]:
    """Parse one JavaScript literal (object, array, string, number, true/false/!0/!1, null, void 0) of
    minified JS starting at text[pos]; returns (value, index just after it). Only data, nothing evaluated."""

    def next_tok(p: int) -> Tuple[str, str, int]:
        while True:
            m = _TOKEN.match(text, p)
            if m is None:
                raise ValueError(f"cannot parse JavaScript literal at offset {p}: {text[p:p + 40]!r}")
            if m.lastgroup != "ws":
                return m.lastgroup, m.group(), m.end()
            p = m.end()

    def value(p: int) -> Tuple[Any, int]:
        kind, tok, p = next_tok(p)
        if kind == "str":
            return _js_string(tok), p
        if kind == "num":
            return (float(tok) if any(c in tok for c in ".eE") else int(tok)), p
        if kind == "bool":
            return tok == "!0", p
        if kind == "ident":
            consts = {"true": True, "false": False, "null": None, "Infinity": math.inf, "NaN": math.nan}
            if tok in consts:
                return consts[tok], p
            if tok == "void":
                _, _, p = next_tok(p)
                return None, p
            raise ValueError(f"unexpected identifier {tok!r} in JavaScript literal at offset {p}")
        if tok == "[":
            out: List[Any] = []
            kind, tok, q = next_tok(p)
            if tok == "]":
                return out, q
            while True:
                v, p = value(p)
                out.append(v)
                kind, tok, p = next_tok(p)
                if tok == "]":
                    return out, p
                if tok != ",":
                    raise ValueError(f"expected ',' or ']' at offset {p}, got {tok!r}")
        if tok == "{":
            obj: Dict[str, Any] = {}
            kind, tok, q = next_tok(p)
            if tok == "}":
                return obj, q
            while True:
                kind, key, p = next_tok(p)
                if kind == "str":
                    key = _js_string(key)
                elif kind not in ("ident", "num"):
                    raise ValueError(f"bad object key {key!r} at offset {p}")
                _, colon, p = next_tok(p)
                if colon != ":":
                    raise ValueError(f"expected ':' at offset {p}, got {colon!r}")
                obj[key], p = value(p)
                kind, tok, p = next_tok(p)
                if tok == "}":
                    return obj, p
                if tok != ",":
                    raise ValueError(f"expected ',' or '}}' at offset {p}, got {tok!r}")
        raise ValueError(f"unexpected token {tok!r} at offset {p}")

    return value(pos)


_EXPORTS = re.compile(r"\{1:\[function\(\w+,(\w+),\w+\)\{\1\.exports=")


def read_browserify_export(path: str) -> Any:
    """The literal that a browserify bundle's module 1 assigns to module.exports (nsfwjs' *.min.js files)."""
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    m = _EXPORTS.search(text)
    if m is None:
        raise ValueError(f"{path}: no browserify `module.exports=` literal found")
    val, end = parse_js_literal(text, m.end())
    if not text.startswith("}", end):
        raise ValueError(f"{path}: unexpected text after the exported literal: {text[end:end + 40]!r}")
    return val
