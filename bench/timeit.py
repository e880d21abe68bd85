#!/usr/bin/env python3
"""Times a command as a whole process: one warm-up, then RUNS runs.

    timeit.py RUNS LABEL -- COMMAND...

Prints `LABEL  median MS  (min MS, max MS, RUNS runs)` and, for use by the
bench scripts, writes the median in milliseconds to stdout's last field.
The command's own output is discarded; a non-zero exit aborts the bench.
"""
import statistics
import subprocess
import sys
import time


def main():
    runs, label = int(sys.argv[1]), sys.argv[2]
    command = sys.argv[sys.argv.index("--") + 1:]
    samples = []
    for i in range(runs + 1):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = (time.perf_counter() - start) * 1000
        if result.returncode not in (0, 2) or (result.returncode == 2 and "expect-2" not in label):
            sys.stderr.write(result.stderr.decode(errors="replace"))
            sys.exit(f"{label}: command exited {result.returncode}")
        if i > 0:
            samples.append(elapsed)
    print(f"{label:<28} median {statistics.median(samples):9.1f} ms  "
          f"(min {min(samples):.1f}, max {max(samples):.1f}, {runs} runs)  {statistics.median(samples):.3f}")


if __name__ == "__main__":
    main()
