"""CLI: python3 -m models.export_topology MODEL [--size 224] -o topo.csv [--gemm] [--padded-ifmap] [--photos]"""
import sys

from models.topology import main

if __name__ == "__main__":
    sys.exit(main())
