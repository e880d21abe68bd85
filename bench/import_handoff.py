#!/usr/bin/env python3
"""What a value hand-off of `splitbook import` costs, against keeping the value in one kernel.

An imported notebook hands a value from the cell that makes it to the cells
that read it through a declared file: splitbook.save, the store (hashed,
copied into the reader's directory), splitbook.load. This measures, for a
100 MB numpy array and a 1,000,000-row pandas DataFrame:

  helper    save + load alone, in one process (the formats: .npy, pickle; and
            parquet for the frame, the alternative the helper does not take)
  run       a notebook that makes the value in one cell and uses it in the next,
            against one cell doing both (what a kernel does): the whole cost,
            store and copies included

Needs numpy and pandas (pyarrow for the parquet line) in the Python it runs
with, and a built splitbook (SPLITBOOK, default .build/debug/splitbook):

  python3 -m venv /tmp/hand && /tmp/hand/bin/pip install numpy pandas pyarrow
  PATH=/tmp/hand/bin:$PATH python3 bench/import_handoff.py
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPLITBOOK = os.environ.get("SPLITBOOK", os.path.join(ROOT, ".build/debug/splitbook"))


def helper_module(directory):
    """Writes the helper cells import (the Swift string in PythonHelper.swift) as splitbook.py."""
    swift = open(os.path.join(ROOT, "Sources/SplitbookEngine/Execution/PythonHelper.swift")).read()
    source = re.search(r'#"""\n(.*?)\n\s*"""#', swift, re.S).group(1)
    with open(os.path.join(directory, "splitbook.py"), "w") as f:
        f.write(textwrap.dedent(source))
    sys.path.insert(0, directory)


def best(function, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def helper(work):
    import numpy
    import pandas
    import splitbook
    array = numpy.random.default_rng(0).random(100 * 1024 * 1024 // 8)
    frame = pandas.DataFrame({"id": numpy.arange(1_000_000), "x": numpy.random.default_rng(1).random(1_000_000),
                              "label": numpy.where(numpy.arange(1_000_000) % 3 == 0, "a", "b"),
                              "day": pandas.date_range("2020-01-01", periods=1_000_000, freq="min")})
    path = os.path.join(work, "value")
    rows = []
    for name, value in (("100 MB float64 array", array), ("1M-row DataFrame (4 columns)", frame)):
        save = best(lambda: splitbook.save(path, value))
        size = os.path.getsize(path)
        load = best(lambda: splitbook.load(path))
        rows.append((name, open(path, "rb").readline().decode().split('"format": "')[1].split('"')[0], size, save, load))
    try:
        import pyarrow  # noqa: F401
        parquet = os.path.join(work, "frame.parquet")
        save = best(lambda: frame.to_parquet(parquet))
        load = best(lambda: pandas.read_parquet(parquet))
        rows.append(("1M-row DataFrame (4 columns)", "parquet (not used)", os.path.getsize(parquet), save, load))
    except ImportError:
        pass
    print("helper, one process (best of 3):")
    for name, kind, size, save, load in rows:
        print("  %-30s %-20s %7.1f MB  save %6.3f s  load %6.3f s" % (name, kind, size / 1e6, save, load))


MAKE = {
    "array": "import numpy\nvalue = numpy.random.default_rng(0).random(100 * 1024 * 1024 // 8)",
    "frame": "import numpy, pandas\nvalue = pandas.DataFrame({'id': numpy.arange(1_000_000), "
             "'x': numpy.random.default_rng(1).random(1_000_000), "
             "'label': numpy.where(numpy.arange(1_000_000) % 3 == 0, 'a', 'b'), "
             "'day': pandas.date_range('2020-01-01', periods=1_000_000, freq='min')})",
}
USE = "print(len(value))"


def notebook(cells):
    import json
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                                 for c in cells]})


def timed_run(directory, cells):
    """Imports the notebook, then runs it (forced) three times: the best wall time."""
    with open(os.path.join(directory, "nb.ipynb"), "w") as f:
        f.write(notebook(cells))
    subprocess.run([SPLITBOOK, "import", "nb.ipynb", "--force"], cwd=directory, check=True, capture_output=True)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = subprocess.run([SPLITBOOK, "run", "nb.yaml", "--force"], cwd=directory, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(result.stdout + result.stderr)
    return min(times)


def runs(work):
    print("splitbook run --force, best of 3 (python3: %s):" % shutil.which("python3"))
    for kind in ("array", "frame"):
        split = os.path.join(work, kind + "-split")
        single = os.path.join(work, kind + "-single")
        os.makedirs(split)
        os.makedirs(single)
        two = timed_run(split, [MAKE[kind], USE])
        one = timed_run(single, [MAKE[kind] + "\n" + USE])
        print("  %-6s two cells (hand-off) %6.2f s   one cell (one kernel) %6.2f s   hand-off %+6.2f s"
              % (kind, two, one, two - one))


def main():
    work = tempfile.mkdtemp(prefix="sb-import-handoff-")
    try:
        helper_module(work)
        helper(work)
        runs(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
