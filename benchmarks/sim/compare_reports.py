#!/usr/bin/env python3
"""Compares mercury-sim's reports with SCALE-Sim's (v2, or v3 with mercury-sim --compat v3), column by column, and
prints the worst relative error. SPARSE_REPORT.csv too when SCALE-Sim wrote one (its text column compared as text).
   compare_reports.py OURS_DIR SCALESIM_DIR   (each holding COMPUTE_REPORT.csv etc.)"""
import os
import sys
import pandas as pd

def load(path):
    df = pd.read_csv(path, skipinitialspace=True)
    return df.loc[:, [c for c in df.columns if not c.startswith("Unnamed")]]

def main(ours, theirs):
    worst = 0.0
    reports = ["COMPUTE_REPORT", "BANDWIDTH_REPORT", "DETAILED_ACCESS_REPORT"]
    if os.path.exists(f"{theirs}/SPARSE_REPORT.csv"):
        reports.append("SPARSE_REPORT")
    for rep in reports:
        a, b = load(f"{ours}/{rep}.csv"), load(f"{theirs}/{rep}.csv")
        if len(a) != len(b):
            print(f"{rep}: {len(a)} layers here, {len(b)} in SCALE-Sim's")
            worst = float("inf")
        for col in b.columns:
            if col not in a.columns:
                print(f"{rep}: missing column {col}")
                continue
            for i, (x, y) in enumerate(zip(a[col], b[col])):
                if isinstance(y, str):
                    if str(x).strip() != y.strip():
                        print(f"{rep} L{i} {col}: ours {x} scalesim {y}")
                        worst = float("inf")
                    continue
                rel = abs(x - y) / max(abs(y), 1e-9)
                if rel > 1e-9:
                    print(f"{rep} L{i} {col}: ours {x} scalesim {y} ({100 * rel:+.3f}%)")
                if "Cycle" not in col or "Stall" in col or "Total" in col:
                    worst = max(worst, rel)
    print(f"worst relative difference (counts, cycles, utils): {100 * worst:.4f}%")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
