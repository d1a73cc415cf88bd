"""CSV and JSON files: writers, a CSV reader (columns by header name), markdown tables."""
import csv
import json
import os
from typing import Dict, Iterable, List, Sequence, Tuple


def write_csv(path: str, header: Sequence[str], rows: Iterable[Sequence]) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(r)
    return path


def read_csv_rows(path: str) -> Tuple[List[str], List[Tuple[int, Dict[str, str]]]]:
    """(stripped header, [(line number, row dict keyed by the header)]); blank lines skipped; a row with more
    fields than the header is a ValueError naming path:line; an empty file gives ([], [])."""
    with open(path, newline="") as f:
        lines = list(csv.reader(f))
    if not lines:
        return [], []
    header = [h.strip() for h in lines[0]]
    rows = []
    for number, row in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise ValueError(f"{path}:{number}: {len(row)} fields, the header has {len(header)}")
        rows.append((number, {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}))
    return header, rows


def read_csv(path: str) -> List[Dict[str, str]]:
    """Rows as dicts keyed by the stripped header names (SCALE-Sim's trailing commas' empty names dropped)."""
    return [{h: v for h, v in row.items() if h} for _, row in read_csv_rows(path)[1]]


def write_json(path: str, obj) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    return path


def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
        if isinstance(v, int):
            return f"{v:,}"
        return "-" if v is None else str(v)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)

