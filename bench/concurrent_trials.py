#!/usr/bin/env python3
"""Several splitbook commands on one notebook and outputs directory at once.

    python3 bench/concurrent_trials.py [--count N] [--seconds S] [--seed N] [--binary PATH]

Each trial makes a fresh project holding the campaign notebook
(bench/campaign_common.py), sometimes runs it first with other params, then
starts at once (a few random milliseconds apart) either

  run+run   two or three `splitbook run --json` with differing params (and, in
            half the trials, a `splitbook status` alongside), or
  run+gc    one `splitbook run --json` and one `splitbook cache gc --keep-last N`
            (after one or two earlier runs, so gc has something to remove),

and when all have ended checks:

  - each exited 0 ("failed runs"; a signal, a hang or an exit over 2 is also
    counted as a crash on stderr);
  - each run's `--json` report gives the right digest for every output of its
    own params, and a final run with each of those params exits 0 and leaves
    in outputs/campaign/ and in the registry exactly the bytes computed
    independently in Python ("wrong outputs");
  - those final runs run no cell: every param set's results were stored, and
    gc keeps the current state ("uncached reruns");
  - nothing is left in .splitbook/tmp/ and no `.tmp-*` file anywhere ("leftovers").

Prints one line, e.g.
  concurrent_trials: 50 trials (38 run+run, 12 run+gc), 0 failed runs, 0 wrong outputs, 0 uncached reruns, 0 leftovers
(each count is of trials), details on stderr; exits 1 if any count is not 0.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign_common as common  # noqa: E402


def distinct_params(rng, count):
    out = []
    while len(out) < count:
        params = common.random_params(rng)
        if all(params["salt"] != o["salt"] for o in out):
            out.append(params)
    return out


def launch_all(campaign, project, commands, rng):
    """Starts the commands a few ms apart in random order; returns [(label, rc, stdout, stderr)] in the given order."""
    logs = os.path.join(campaign.workdir, os.path.basename(project) + "-logs")
    os.makedirs(logs, exist_ok=True)
    order = list(range(len(commands)))
    rng.shuffle(order)
    started = {}
    for i in order:
        label, args = commands[i]
        out = open(os.path.join(logs, f"{i}.out"), "wb")
        err = open(os.path.join(logs, f"{i}.err"), "wb")
        started[i] = (campaign.splitbook.start(project, args, stdout=out, stderr=err), out, err)
        time.sleep(rng.uniform(0, 0.03))
    results = []
    deadline = time.monotonic() + common.RUN_TIMEOUT
    for i, (label, _) in enumerate(commands):
        process, out, err = started[i]
        try:
            rc = process.wait(timeout=max(1, deadline - time.monotonic()))
        except Exception:  # noqa: BLE001 - a hang
            process.kill()
            process.wait()
            rc = "timeout"
        out.close()
        err.close()
        with open(out.name, "rb") as f:
            stdout = f.read().decode(errors="replace")
        with open(err.name, "rb") as f:
            stderr = f.read().decode(errors="replace")
        results.append((label, rc, stdout, stderr))
    common.remove_tree(logs)
    return results


def main():
    p = common.parser(__doc__, count=50, seconds=600)
    args = p.parse_args()
    campaign = common.Campaign("concurrent_trials", args)
    counts = {"failed": 0, "wrong": 0, "uncached": 0, "leftovers": 0}
    modes = {"run+run": 0, "run+gc": 0}
    crashes = 0
    try:
        for trial in campaign.numbers():
            rng = campaign.rng(trial)
            project = campaign.project(trial)
            problems = []
            found = set()
            mode = "run+gc" if rng.random() < 0.25 else "run+run"
            modes[mode] += 1
            warmups = rng.randint(1, 2) if mode == "run+gc" else rng.randint(0, 1)
            for _ in range(warmups):
                warm = common.random_params(rng)
                rc, _, err = campaign.splitbook.run_notebook(project, warm)
                if rc != 0:
                    found.add("failed")
                    problems.append(f"warm-up run with {warm} exited {rc}: {err.strip()[-400:]}")

            if mode == "run+run":
                sets = distinct_params(rng, rng.choice([2, 3]))
                commands = [(f"run {s}", ["run", common.NOTEBOOK, "--json", "--jobs", str(rng.choice([1, 2, 3]))]
                             + common.param_args(s)) for s in sets]
                if rng.random() < 0.5:
                    commands.append(("status", ["status", common.NOTEBOOK] + common.param_args(rng.choice(sets))))
            else:
                sets = distinct_params(rng, 1)
                keep = rng.choice([0, 1, 2])
                commands = [(f"run {sets[0]}", ["run", common.NOTEBOOK, "--json"] + common.param_args(sets[0])),
                            (f"cache gc --keep-last {keep}", ["cache", "gc", "--keep-last", str(keep)])]

            results = launch_all(campaign, project, commands, rng)
            for (label, rc, stdout, stderr), (_, args_) in zip(results, commands):
                if rc != 0:
                    found.add("failed")
                    problems.append(f"{mode}: `{label}` exited {rc}: {stderr.strip()[-600:]}")
                    if common.is_crash(rc):
                        crashes += 1
                    continue
                if args_[0] == "run":
                    params = sets[[f"run {s}" for s in sets].index(label)]
                    try:
                        report = json.loads(stdout)
                    except ValueError:
                        found.add("failed")
                        problems.append(f"{mode}: `{label}` printed no JSON report: {stdout[:200]!r}")
                        continue
                    wrong = common.check_report(report, params)
                    if wrong:
                        found.add("wrong")
                        problems += [f"{mode}: `{label}`: {w}" for w in wrong]

            finals = list(sets)
            rng.shuffle(finals)
            for params in finals:
                rc, report, err = campaign.splitbook.run_notebook(project, params)
                if rc != 0 or report is None:
                    found.add("failed")
                    problems.append(f"{mode}: final run with {params} exited {rc}: {err.strip()[-600:]}")
                    continue
                wrong = common.check_report(report, params)
                wrong += common.check_workspace(project, params)
                wrong += common.check_registry(project, params)
                if wrong:
                    found.add("wrong")
                    problems += [f"{mode}: final run with {params}: {w}" for w in wrong]
                ran = [c["id"] for c in report.get("cells", []) if c.get("status") == "ran"]
                if ran:
                    found.add("uncached")
                    reasons = {c["id"]: c.get("reasons") for c in report["cells"] if c.get("status") == "ran"}
                    problems.append(f"{mode}: final run with {params} ran {ran}: {reasons}")
            stray = common.leftovers(project)
            if stray:
                found.add("leftovers")
                problems.append(f"left behind: {', '.join(stray[:8])}" + (" ..." if len(stray) > 8 else ""))
            for key in found:
                counts[key] += 1
            campaign.finish_trial(trial, project, problems)
    finally:
        campaign.close()
    common.log(f"concurrent_trials: {campaign.elapsed():.0f} s; {crashes} crashes (signal, hang or exit > 2)")
    print(f"concurrent_trials: {campaign.trials} trials ({modes['run+run']} run+run, {modes['run+gc']} run+gc), "
          f"{counts['failed']} failed runs, {counts['wrong']} wrong outputs, {counts['uncached']} uncached reruns, "
          f"{counts['leftovers']} leftovers", flush=True)
    return 1 if any(counts.values()) or campaign.trials == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
