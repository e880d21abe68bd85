#!/usr/bin/env python3
"""Big data: one cell writes a large file that four cells read, splitbook
against make on the equivalent Makefile, alternated in one run.

    python3 bench/bigfile.py [--runs N] [--size BYTES] [--bin PATH] [--xfs]

For each file system (the disk under .build/, and with --xfs also a
loop-mounted XFS image, where reflinks replace copies; needs root and
mkfs.xfs) it reports medians of:

  cold             a run from an empty workspace (make: from an empty out/):
                   wall time and bytes read (`rchar` of the whole process
                   tree, from /proc/self/io around the reaped child)
  cold + sync      the same followed by `sync`, timed together: the data on
                   disk, which a reflink needs before it can share blocks
                   (make leaves its 1 GiB dirty in the page cache)
  first no-op      the run right after each cold run
  small no-op      the same notebook with a 1 KiB file, its first no-op after
                   its own cold run: what a no-op costs when data is small

and splitbook's own count of bytes per stage of the last cold run (the run
record's `io`). Builds the release executable like bench/run.py unless --bin
is given.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ROOT, build  # noqa: E402

READERS = 4


def workload(directory, size):
    """notebooks/nb.yaml and a Makefile doing the same: one writer, READERS readers."""
    os.makedirs(os.path.join(directory, "notebooks"), exist_ok=True)
    nb = ["cells:", "  - id: make_big", "    outputs: [big.bin]", f"    code: head -c {size} /dev/zero > big.bin"]
    mk = [".SHELLFLAGS = -ec", "all: " + " ".join(f"out/r{i}.txt" for i in range(READERS)), "",
          "out/big.bin:", "\t@mkdir -p out", f"\t@head -c {size} /dev/zero > $@", ""]
    for i in range(READERS):
        nb += [f"  - id: r{i}", "    inputs: [big.bin]", f"    outputs: [r{i}.txt]", f"    code: wc -c < big.bin > r{i}.txt"]
        mk += [f"out/r{i}.txt: out/big.bin", "\t@wc -c < $< > $@", ""]
    with open(os.path.join(directory, "notebooks", "nb.yaml"), "w") as f:
        f.write("\n".join(nb) + "\n")
    with open(os.path.join(directory, "Makefile"), "w") as f:
        f.write("\n".join(mk) + "\n")


def rchar():
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar:")).split()[1])


def measured(command, cwd):
    """Wall milliseconds and bytes read by the command's whole process tree
    (a reaped child's counts are added to its parent's)."""
    before = rchar()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = (time.perf_counter() - start) * 1000
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{result.stderr.decode(errors='replace')}")
    return elapsed, rchar() - before


def fresh(directory, *paths):
    for path in paths:
        shutil.rmtree(os.path.join(directory, path), ignore_errors=True)
    subprocess.run(["sync"], check=True)


def last_io(directory):
    runs = os.path.join(directory, "outputs", ".splitbook", "runs", "nb")
    latest = sorted(os.listdir(runs))[-1]
    with open(os.path.join(runs, latest)) as f:
        return json.load(f).get("io", {})


def scenario(binary, root, size, runs):
    big, small = os.path.join(root, "big"), os.path.join(root, "small")
    workload(big, size)
    workload(small, 1024)
    run = [binary, "run", "notebooks/nb.yaml"]
    cold_sb, cold_mk, noop_sb, small_noop, read_sb, read_mk, durable_sb, durable_mk = [], [], [], [], [], [], [], []
    durable = lambda command: ["sh", "-c", '"$@" && sync', "sh"] + command
    stages = {}
    for i in range(runs + 1):  # the first round warms up and is dropped
        fresh(big, "outputs")
        t, r = measured(run, big)
        stages = last_io(big)
        n, _ = measured(run, big)
        fresh(big, "out")
        tm, rm = measured(["make", "-s"], big)
        fresh(big, "outputs")
        ds, _ = measured(durable(run), big)
        fresh(big, "out")
        dm, _ = measured(durable(["make", "-s"]), big)
        fresh(small, "outputs")
        measured(run, small)
        s, _ = measured(run, small)
        if i:
            cold_sb.append(t); read_sb.append(r); noop_sb.append(n)
            cold_mk.append(tm); read_mk.append(rm); small_noop.append(s)
            durable_sb.append(ds); durable_mk.append(dm)
    fresh(big, "outputs", "out")
    med = statistics.median
    return {
        "cold ms": (med(cold_sb), med(cold_mk)),
        "cold GiB read": (med(read_sb) / 2**30, med(read_mk) / 2**30),
        "cold + sync ms": (med(durable_sb), med(durable_mk)),
        "first no-op ms (vs small no-op)": (med(noop_sb), med(small_noop)),
    }, stages


def xfs_image(parent, size):
    """Mounts a fresh XFS image big enough for the store, the workspace and make's out/."""
    image = os.path.join(parent, "xfs.img")
    mount = os.path.join(parent, "xfs")
    os.makedirs(mount)
    with open(image, "wb") as f:
        f.truncate(max(3 * size + (512 << 20), 600 << 20))
    subprocess.run(["mkfs.xfs", "-q", "-f", "-m", "reflink=1", image], check=True)
    subprocess.run(["mount", "-o", "loop", image, mount], check=True)
    return mount


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=1 << 30)
    parser.add_argument("--bin")
    parser.add_argument("--xfs", action="store_true", help="also on a loop-mounted XFS image (root, mkfs.xfs)")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin) if args.bin else build()
    os.makedirs(os.path.join(ROOT, ".build"), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build"), prefix="bench-bigfile-") as parent:
        places = [("disk", os.path.join(parent, "disk"))]
        os.makedirs(places[0][1])
        if args.xfs:
            places.append(("xfs", xfs_image(parent, args.size)))
        try:
            print(f"{READERS} readers of a {args.size / 2**30:.2f} GiB file, {args.runs} alternated runs, medians")
            for name, directory in places:
                kind = subprocess.run(["stat", "-f", "-c", "%T", directory], capture_output=True, text=True).stdout.strip()
                rows, stages = scenario(binary, directory, args.size, args.runs)
                print(f"\n{name} ({kind})            splitbook      other    ratio")
                for label, (a, b) in rows.items():
                    print(f"  {label:<34} {a:9.2f} {b:10.2f} {a / b:7.2f}x")
                print("  bytes per stage of the last cold run (GiB read / written / cloned):")
                for stage, c in sorted(stages.items()):
                    print(f"    {stage:<10} {c['read'] / 2**30:7.3f} {c['written'] / 2**30:7.3f} {c['cloned'] / 2**30:7.3f}")
        finally:
            if args.xfs:
                subprocess.run(["umount", places[-1][1]])


if __name__ == "__main__":
    main()
