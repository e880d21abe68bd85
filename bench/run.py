#!/usr/bin/env python3
"""splitbook's execution benchmarks, each against GNU make on an equivalent
Makefile in the same run (so machine drift cancels out in the ratios).

    python3 bench/run.py [--runs N] [--only NAME,...] [--bin PATH] [--baseline PATH]

Builds splitbook in release mode (one static executable, in .build-bench/)
unless --bin is given. With --baseline, another splitbook executable (an
older commit's release build) takes make's place, each in a copy of the
workload, alternated the same way: ratio = splitbook / baseline. Workloads:

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


def timed(command, cwd, setup=None, env=None):
    """Runs setup (untimed), then command; returns milliseconds. Fails loudly."""
    if setup:
        setup()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = (time.perf_counter() - start) * 1000
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{result.stderr.decode(errors='replace')}")
    return elapsed


def pair(runs, splitbook, make, cwd, setup=None, make_setup=None, make_cwd=None):
    """Medians of `runs` timings of each command after one warm-up each,
    alternating the two, so both see the same machine and file-system state
    (on this ext4 a file creation slows down for a minute after deletions).
    Either command may be a function of the run number returning the command."""
    command = splitbook if callable(splitbook) else (lambda i: splitbook)
    other = make if callable(make) else (lambda i: make)
    make_setup = make_setup or setup
    sb, mk = [], []
    for i in range(runs + 1):
        sb.append(timed(command(i), cwd, setup))
        mk.append(timed(other(i), make_cwd or cwd, make_setup))
    return statistics.median(sb[1:]), statistics.median(mk[1:])


class Against:
    """What splitbook is timed against: make on the Makefile in the same
    directory, or (baseline) another splitbook executable in a copy of it."""

    def __init__(self, baseline):
        self.baseline = baseline
        self.name = "baseline" if baseline else "make"

    def twin(self, d):
        """The directory the other command runs in (a copy made after the workload is written)."""
        if not self.baseline:
            return d
        twin = d + "-baseline"
        shutil.copytree(d, twin)
        return twin

    def command(self, make, run_args, i=0):
        if not self.baseline:
            return make
        return [self.baseline] + (run_args(i) if callable(run_args) else run_args)[1:]


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

def scenarios(binary, runs, only, against):
    results = []

    def row(name, sb, mk, note=""):
        results.append((name, sb, mk, note))
        ratio = f"{sb / mk:6.2f}x" if mk else "   -"
        print(f"{name:<28} splitbook {sb:9.1f} ms   {against.name} {mk:9.1f} ms   ratio {ratio}  {note}", flush=True)

    run = [binary, "run", "notebooks/nb.yaml", "--jobs", "2"]
    make = ["make", "-s", "-j2"]

    def clean(d):
        return lambda: [shutil.rmtree(os.path.join(d, x), ignore_errors=True) for x in ("outputs", "out")]

    def versus(d, other_d, cold=False, splitbook=run, make_setup=None):
        """One scenario: splitbook in d against make in d, or the baseline in its copy."""
        other = (lambda i: against.command(make, splitbook, i)) if against.baseline else make
        setup = clean(d) if cold else None
        other_setup = clean(other_d) if cold else (None if against.baseline else make_setup)
        return pair(runs, splitbook, other, d, setup=setup, make_setup=other_setup, make_cwd=other_d)

    def workload(d, generate):
        generate(d)
        return against.twin(d)

    if "chain100" in only:
        with tempfile.TemporaryDirectory() as root:
            d = os.path.join(root, "w")
            os.makedirs(d)
            t = workload(d, lambda x: chain(x, 100, edit_param=50))
            row("chain100 cold", *versus(d, t, cold=True))
            row("chain100 no-op", *versus(d, t))
            counter = [0]

            def bump():
                counter[0] += 1
                with open(os.path.join(d, "params", "v"), "w") as f:
                    f.write(f"{counter[0]}\n")
            edit = versus(d, t, splitbook=lambda i: run + ["-p", f"v={i + 1000}"], make_setup=bump)
            row("chain100 edit cell 50", *edit, "(50 cells rerun)")

    if "fan100" in only:
        with tempfile.TemporaryDirectory() as root:
            d = os.path.join(root, "w")
            os.makedirs(d)
            t = workload(d, lambda x: fan(x, 100))
            row("fan100+join cold", *versus(d, t, cold=True))
            row("fan100+join no-op", *versus(d, t))

    if "big1g" in only:
        with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build")) as root:
            d = os.path.join(root, "w")
            os.makedirs(d)
            t = workload(d, big)
            timed(run, d)
            timed(against.command(make, run), t)
            time.sleep(0.3)
            noop_sb, noop_mk = versus(d, t)
            row("big1g no-op", noop_sb, noop_mk)

            def touch(x, made):
                os.utime(os.path.join(x, "outputs", "nb", "big.bin"))
                if made:
                    os.utime(os.path.join(x, "out", "big.bin"))

            def touch_both():
                touch(d, not against.baseline)
                if against.baseline:
                    touch(t, False)
                time.sleep(0.2)
            touched_sb, touched_mk = pair(runs, run, (lambda i: against.command(make, run, i)) if against.baseline else make, d,
                                          setup=touch_both, make_cwd=t)
            rate = (1 << 30) / ((touched_sb - noop_sb) / 1000) / 1e9
            row("big1g after touch", touched_sb, touched_mk, f"(rehash {rate:.2f} GB/s; make reruns 4 cells)")
            results.append(("big1g rehash GB/s", rate, 0, ""))

    if "chain1000" in only:
        with tempfile.TemporaryDirectory() as root:
            d = os.path.join(root, "w")
            os.makedirs(d)
            t = workload(d, lambda x: chain(x, 1000))
            timed(run, d)
            timed(against.command(make, run), t)
            row("chain1000 no-op", *versus(d, t))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="chain100,fan100,big1g,chain1000")
    parser.add_argument("--bin")
    parser.add_argument("--baseline", help="another splitbook executable to compare with, instead of make")
    args = parser.parse_args()
    binary = args.bin or build()
    against = Against(args.baseline)
    print(f"splitbook: {binary}\n{against.name}: {args.baseline or 'GNU make'}\nmedians of {args.runs} runs after one warm-up, "
          f"the two alternating; ratio = splitbook / {against.name}\n")
    results = scenarios(binary, args.runs, set(args.only.split(",")), against)
    by = {name: (sb, mk) for name, sb, mk, _ in results}
    if "chain100 no-op" in by and "chain1000 no-op" in by:
        print(f"\nchain1000 no-op / chain100 no-op: {by['chain1000 no-op'][0] / by['chain100 no-op'][0]:.1f}x")
    if "big1g no-op" in by and "chain100 no-op" in by:
        print(f"big1g no-op / chain100 no-op: {by['big1g no-op'][0] / by['chain100 no-op'][0]:.2f}x")


if __name__ == "__main__":
    main()
