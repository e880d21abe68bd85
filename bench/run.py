#!/usr/bin/env python3
"""splitbook's execution benchmarks, each against GNU make on an equivalent
Makefile in the same run (so machine drift cancels out in the ratios).

    python3 bench/run.py [--runs N] [--only NAME,...] [--bin PATH]

Builds splitbook in release mode (one static executable, in .build-bench/)
unless --bin is given. Workloads:

  chain100     100 cells, each reading the previous one's output: cold run,
               no-op rerun, and a rerun after an edit to cell 50 (a param only
               it uses; make: touching the file it depends on).
  fan100       100 independent cells plus one join cell: cold and no-op.
  big1g        one cell writes a 1 GiB file that 4 cells read: no-op, and a
               rerun after `touch` of that file (splitbook rehashes it and runs
               nothing; make reruns the 4 readers).
  chain1000    1,000-cell chain: no-op rerun.

Prints medians in milliseconds and the ratio splitbook/make per scenario.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# The release build the README recommends for installing: one static, non-PIE
# executable, so a run starts without the dynamic loader or relocations.
RELEASE = ["swift", "build", "-c", "release", "--static-swift-stdlib", "-Xswiftc", "-static-executable",
           "-Xlinker", "-no-pie", "--scratch-path", ".build-bench"]


def build():
    subprocess.run(RELEASE + ["--product", "splitbook"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(RELEASE + ["--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(out, "splitbook")


def timed(command, cwd, setup=None):
    """Runs setup (untimed), then command; returns milliseconds. Fails loudly."""
    if setup:
        setup()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = (time.perf_counter() - start) * 1000
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{result.stderr.decode(errors='replace')}")
    return elapsed


def pair(runs, splitbook, make, cwd, setup=None, make_setup=None):
    """Medians of `runs` timings of each command after one warm-up each,
    alternating the two, so both see the same machine and file-system state
    (on this ext4 a file creation slows down for a minute after deletions).
    `splitbook` may be a function of the run number returning the command."""
    command = splitbook if callable(splitbook) else (lambda i: splitbook)
    make_setup = make_setup or setup
    sb, mk = [], []
    for i in range(runs + 1):
        sb.append(timed(command(i), cwd, setup))
        mk.append(timed(make, cwd, make_setup))
    return statistics.median(sb[1:]), statistics.median(mk[1:])


# ---- workload generators: a notebook and an equivalent Makefile ----

def chain(directory, n, edit_param=None):
    os.makedirs(os.path.join(directory, "notebooks", "data"), exist_ok=True)
    with open(os.path.join(directory, "notebooks", "data", "seed.txt"), "w") as f:
        f.write("seed\n")
    nb = ["params:", "  v: 0", "cells:"]
    mk = [".SHELLFLAGS = -ec", "all: " + f"out/s{n - 1}.txt", ""]
    for i in range(n):
        src = "data/seed.txt" if i == 0 else f"s{i - 1}.txt"
        mk_src = "notebooks/data/seed.txt" if i == 0 else f"out/s{i - 1}.txt"
        uses_v = edit_param is not None and i == edit_param
        nb += [f"  - id: s{i}", f"    inputs: [{src}]", f"    outputs: [s{i}.txt]",
               "    params: [v]" if uses_v else "    params: []",
               "    code: |", f"      cat {src} > s{i}.txt", f"      echo {i}{' $PARAM_V' if uses_v else ''} >> s{i}.txt"]
        deps = mk_src + (" params/v" if uses_v else "")
        mk += [f"out/s{i}.txt: {deps}", "\t@mkdir -p out",
               f"\t@cat {mk_src} > $@; echo {i}{' $$(cat params/v)' if uses_v else ''} >> $@", ""]
    write(directory, nb, mk)
    os.makedirs(os.path.join(directory, "params"), exist_ok=True)
    with open(os.path.join(directory, "params", "v"), "w") as f:
        f.write("0\n")


def fan(directory, n):
    os.makedirs(os.path.join(directory, "notebooks", "data"), exist_ok=True)
    with open(os.path.join(directory, "notebooks", "data", "seed.txt"), "w") as f:
        f.write("seed\n")
    nb = ["cells:"]
    mk = [".SHELLFLAGS = -ec", "all: out/joined.txt", ""]
    for i in range(n):
        nb += [f"  - id: s{i}", "    inputs: [data/seed.txt]", f"    outputs: [s{i}.txt]", "    params: []",
               f"    code: cat data/seed.txt > s{i}.txt; echo {i} >> s{i}.txt"]
        mk += [f"out/s{i}.txt: notebooks/data/seed.txt", "\t@mkdir -p out", f"\t@cat $< > $@; echo {i} >> $@", ""]
    inputs = ", ".join(f"s{i}.txt" for i in range(n))
    nb += ["  - id: join", f"    inputs: [{inputs}]", "    outputs: [joined.txt]", "    params: []",
           "    code: cat s*.txt > joined.txt"]
    mk += ["out/joined.txt: " + " ".join(f"out/s{i}.txt" for i in range(n)), "\t@cat out/s*.txt > $@", ""]
    write(directory, nb, mk)


def big(directory):
    os.makedirs(os.path.join(directory, "notebooks"), exist_ok=True)
    nb = ["cells:", "  - id: make_big", "    outputs: [big.bin]", "    code: head -c 1073741824 /dev/zero > big.bin"]
    mk = [".SHELLFLAGS = -ec", "all: " + " ".join(f"out/r{i}.txt" for i in range(4)), "",
          "out/big.bin:", "\t@mkdir -p out", "\t@head -c 1073741824 /dev/zero > $@", ""]
    for i in range(4):
        nb += [f"  - id: r{i}", "    inputs: [big.bin]", f"    outputs: [r{i}.txt]", f"    code: wc -c < big.bin > r{i}.txt"]
        mk += [f"out/r{i}.txt: out/big.bin", f"\t@wc -c < $< > $@", ""]
    write(directory, nb, mk)


def write(directory, nb, mk):
    with open(os.path.join(directory, "notebooks", "nb.yaml"), "w") as f:
        f.write("\n".join(nb) + "\n")
    with open(os.path.join(directory, "Makefile"), "w") as f:
        f.write("\n".join(mk) + "\n")


# ---- scenarios ----

def scenarios(binary, runs, only):
    results = []

    def row(name, sb, mk, note=""):
        results.append((name, sb, mk, note))
        ratio = f"{sb / mk:6.2f}x" if mk else "   -"
        print(f"{name:<28} splitbook {sb:9.1f} ms   make {mk:9.1f} ms   ratio {ratio}  {note}", flush=True)

    run = [binary, "run", "notebooks/nb.yaml", "--jobs", "2"]
    make = ["make", "-s", "-j2"]

    def clean(d):
        return lambda: [shutil.rmtree(os.path.join(d, x), ignore_errors=True) for x in ("outputs", "out")]

    if "chain100" in only:
        with tempfile.TemporaryDirectory() as d:
            chain(d, 100, edit_param=50)
            row("chain100 cold", *pair(runs, run, make, d, setup=clean(d)))
            row("chain100 no-op", *pair(runs, run, make, d))
            counter = [0]

            def bump():
                counter[0] += 1
                with open(os.path.join(d, "params", "v"), "w") as f:
                    f.write(f"{counter[0]}\n")
            edit = pair(runs, lambda i: run + ["-p", f"v={i + 1000}"], make, d, make_setup=bump)
            row("chain100 edit cell 50", *edit, "(50 cells rerun)")

    if "fan100" in only:
        with tempfile.TemporaryDirectory() as d:
            fan(d, 100)
            row("fan100+join cold", *pair(runs, run, make, d, setup=clean(d)))
            row("fan100+join no-op", *pair(runs, run, make, d))

    if "big1g" in only:
        with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build")) as d:
            big(d)
            timed(run, d)
            timed(make, d)
            time.sleep(0.3)
            noop_sb, noop_mk = pair(runs, run, make, d)
            row("big1g no-op", noop_sb, noop_mk)
            ws = os.path.join(d, "outputs", "nb", "big.bin")

            def touch_both():
                os.utime(ws)
                os.utime(os.path.join(d, "out", "big.bin"))
                time.sleep(0.2)
            touched_sb, touched_mk = pair(runs, run, make, d, setup=touch_both)
            rate = (1 << 30) / ((touched_sb - noop_sb) / 1000) / 1e9
            row("big1g after touch", touched_sb, touched_mk, f"(rehash {rate:.2f} GB/s; make reruns 4 cells)")
            results.append(("big1g rehash GB/s", rate, 0, ""))

    if "chain1000" in only:
        with tempfile.TemporaryDirectory() as d:
            chain(d, 1000)
            timed(run, d)
            timed(make, d)
            row("chain1000 no-op", *pair(runs, run, make, d))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="chain100,fan100,big1g,chain1000")
    parser.add_argument("--bin")
    args = parser.parse_args()
    binary = args.bin or build()
    print(f"splitbook: {binary}\nmedians of {args.runs} runs after one warm-up, the two tools alternating; "
          "ratio = splitbook / make\n")
    results = scenarios(binary, args.runs, set(args.only.split(",")))
    by = {name: (sb, mk) for name, sb, mk, _ in results}
    if "chain100 no-op" in by and "chain1000 no-op" in by:
        print(f"\nchain1000 no-op / chain100 no-op: {by['chain1000 no-op'][0] / by['chain100 no-op'][0]:.1f}x")
    if "big1g no-op" in by and "chain100 no-op" in by:
        print(f"big1g no-op / chain100 no-op: {by['big1g no-op'][0] / by['chain100 no-op'][0]:.2f}x")


if __name__ == "__main__":
    main()
