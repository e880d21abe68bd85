#!/usr/bin/env python3
"""Writes a synthetic splitbook notebook for benchmarks.

    gen_notebook.py SHAPE N DIR      SHAPE: chain | fan

chain: cell i reads cell i-1's output (a line of N steps).
fan:   N independent cells plus one join cell reading all their outputs.
Each cell has the keys a real cell has (params, inputs, outputs, code), and
every tenth cell is a markdown cell, so the loader sees a realistic mix.
"""
import os
import sys


def main():
    shape, n, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(os.path.join(out_dir, "data"), exist_ok=True)
    with open(os.path.join(out_dir, "data", "seed.txt"), "w") as f:
        f.write("seed\n")
    lines = [f"title: {shape} of {n} cells", "params:", "  scale: 2", "  label: bench", "cells:"]
    for i in range(n):
        if i % 10 == 0:
            lines += ["  - markdown: |", f"      ## Step {i}", "      A generated cell."]
        if shape == "chain":
            source = "data/seed.txt" if i == 0 else f"out/s{i - 1}.txt"
        else:
            source = "data/seed.txt"
        lines += [
            f"  - id: s{i}",
            f"    inputs: [{source}]",
            f"    outputs: [out/s{i}.txt]",
            "    params: [scale]",
            "    code: |",
            f"      cat {source} > out/s{i}.txt",
            f"      echo {i} >> out/s{i}.txt",
        ]
    if shape == "fan":
        inputs = ", ".join(f"out/s{i}.txt" for i in range(n))
        lines += ["  - id: join", f"    inputs: [{inputs}]", "    outputs: [joined.txt]", "    params: []",
                  "    code: cat out/*.txt > joined.txt"]
    with open(os.path.join(out_dir, f"{shape}{n}.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
