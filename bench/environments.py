#!/usr/bin/env python3
"""What CONTRACT §10's environments cost, each against what a user would do
by hand, alternated in one run (medians, and the ratio splitbook / baseline).

    python3 bench/environments.py [--runs N] [--bin PATH] [--installer uv|pip|both]
                                  [--requirements 'numpy==2.3.*,scikit-learn==1.7.*']

  build        a cold environment: `splitbook lock` (resolve, create, install,
               list what got installed, rename into place) vs the same
               installer's commands typed by hand (create + install -r), in a
               workspace that has seen the interpreter (`status` ran first,
               untimed: it probes and hashes the interpreter once per
               workspace); `first contact` times the same in a brand-new
               project, probe and hash included. Package caches are warm for
               both (the first round is discarded).
  noop         chain100 of Python cells, rerun with nothing changed: with a
               `python:` block (the lock's digest in every key) vs without (the
               caller interpreter's package fingerprint), both on the no-op
               fast path; and `touched`: the same after `touch notebook`, which
               forces every key to be computed (the fingerprint's memo is what
               is measured there).

The packages come from the index (network, first round only); --requirements
chooses them. Builds the release binary (.build-bench) unless --bin is given.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import build, timed  # noqa: E402


def environment(installer, uv_dir):
    env = dict(os.environ, SPLITBOOK_INSTALLER=installer)
    env.pop("SPLITBOOK_ENVS", None)
    if installer == "uv":
        env["PATH"] = uv_dir + ":" + env["PATH"]
    return env


def bench_build(binary, runs, installer, requirements, uv_dir, scratch, first_contact):
    env = environment(installer, uv_dir)
    uv = os.path.join(uv_dir, "uv")
    nb = "python:\n  requirements: [" + ", ".join(f'"{r}"' for r in requirements) + "]\ncells:\n" \
         "  - id: a\n    lang: python\n    outputs: [a.txt]\n    code: open('a.txt', 'w').write('a')\n"
    sb, hand = [], []
    for i in range(runs + 1):
        project = os.path.join(scratch, f"sb-{installer}-{i}")
        os.makedirs(os.path.join(project, "notebooks"))
        with open(os.path.join(project, "notebooks", "nb.yaml"), "w") as f:
            f.write(nb)
        if not first_contact:
            timed([binary, "status", "notebooks/nb.yaml"], project, env=env)
        sb.append(timed([binary, "lock", "notebooks/nb.yaml"], project, env=env))
        by_hand = os.path.join(scratch, f"hand-{installer}-{i}")
        os.makedirs(by_hand)
        with open(os.path.join(by_hand, "requirements.txt"), "w") as f:
            f.write("\n".join(requirements) + "\n")
        if installer == "uv":
            script = f"{uv} venv --quiet --python python3 env && {uv} pip install --quiet --python env/bin/python -r requirements.txt"
        else:
            script = "python3 -m venv env && env/bin/pip install --quiet --disable-pip-version-check -r requirements.txt"
        hand.append(timed(["sh", "-c", script], by_hand, env=env))
        shutil.rmtree(project)
        shutil.rmtree(by_hand)
    return statistics.median(sb[1:]), statistics.median(hand[1:])


def chain(directory, n, python_block):
    os.makedirs(os.path.join(directory, "notebooks"))
    lines = (["python:", "  requirements: []"] if python_block else []) + ["cells:"]
    for i in range(n):
        lines += [f"  - id: s{i}", "    lang: python", f"    outputs: [s{i}.txt]"]
        if i:
            lines.append(f"    inputs: [s{i - 1}.txt]")
        lines += ["    code: |", f"      open('s{i}.txt', 'w').write('{i}')"]
    with open(os.path.join(directory, "notebooks", "nb.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def bench_noop(binary, runs, scratch, uv_dir):
    env = environment("uv", uv_dir)
    declared, caller = os.path.join(scratch, "declared"), os.path.join(scratch, "caller")
    chain(declared, 100, True)
    chain(caller, 100, False)
    for d in (declared, caller):
        timed([binary, "run", "notebooks/nb.yaml"], d, env=env)
    run = [binary, "run", "notebooks/nb.yaml"]
    a, b = [], []
    for i in range(runs + 1):
        a.append(timed(run, declared, env=env))
        b.append(timed(run, caller, env=env))
    noop = statistics.median(a[1:]), statistics.median(b[1:])

    def touch(d):
        return lambda: os.utime(os.path.join(d, "notebooks", "nb.yaml"))
    a, b = [], []
    for i in range(runs + 1):
        a.append(timed(run, declared, touch(declared), env=env))
        b.append(timed(run, caller, touch(caller), env=env))
    return noop, (statistics.median(a[1:]), statistics.median(b[1:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bin")
    parser.add_argument("--installer", default="both", choices=["uv", "pip", "both"])
    parser.add_argument("--requirements", default="numpy==2.3.*,scikit-learn==1.7.*")
    parser.add_argument("--only", default="build,noop")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin) if args.bin else build()
    scratch = tempfile.mkdtemp(prefix="sb-bench-env-")
    uv_dir = os.path.join(scratch, "uv-venv", "bin")
    subprocess.run([sys.executable, "-m", "venv", os.path.dirname(uv_dir)], check=True)
    subprocess.run([os.path.join(uv_dir, "pip"), "install", "--quiet", "uv==0.13.9"], check=True)
    print(f"{'scenario':34} {'splitbook ms':>13} {'baseline ms':>12} {'ratio':>7}")
    try:
        if "build" in args.only:
            for installer in (["uv", "pip"] if args.installer == "both" else [args.installer]):
                for first in (False, True):
                    sb, hand = bench_build(binary, args.runs, installer, args.requirements.split(","), uv_dir, scratch, first)
                    name = f"cold environment, {installer}" + (", first contact" if first else "")
                    print(f"{name:34} {sb:13.0f} {hand:12.0f} {sb / hand:7.2f}  (vs by hand)")
        if "noop" in args.only:
            (d, c), (dt, ct) = bench_noop(binary, args.runs, scratch, uv_dir)
            print(f"{'chain100 python no-op':34} {d:13.1f} {c:12.1f} {d / c:7.2f}  (declared vs caller's)")
            print(f"{'chain100 python, notebook touched':34} {dt:13.1f} {ct:12.1f} {dt / ct:7.2f}  (declared vs caller's)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
