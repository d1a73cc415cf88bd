"""The MERCURY study as a library: run a model on real data -> export the hit log -> simulate (mercury-sim -m)
-> read the simulator's reports -> tables, plots, summary.json. The scripts in benchmarks/ are thin front ends.

    python3 -m mercury.study --help          # the inference study (README's main command runs it)
"""
