#!/usr/bin/env python3
"""kill -9 a `splitbook run` at a random moment, run again, check everything.

    python3 bench/kill_trials.py [--count N] [--seconds S] [--seed N] [--binary PATH] [--grace S]

Each trial makes a fresh project holding the campaign notebook
(bench/campaign_common.py: six cells, one python, a directory output, two
published artifacts), sometimes runs it to completion with other params first
(so the killed run replaces a previous state), then starts `splitbook run`
with random params and `--jobs`, sends SIGKILL after a random delay within a
measured run time, and checks:

  - no process of the killed run survives it: after --grace seconds, no
    process may have its cwd or command line inside the project ("orphans";
    they are then killed so they cannot disturb the rest of the trial);
  - the rerun with the same params exits 0 ("failed reruns" otherwise);
  - every output in outputs/campaign/, every digest the `--json` report gives
    and every registry version (content against its lineage; `latest` against
    these params) holds exactly the bytes computed independently in Python
    ("wrong outputs");
  - after the rerun, no `.tmp-*` file is left in outputs/.splitbook (state/,
    steps/, runs/, noop/...) or the registry, and .splitbook/tmp/ is empty
    ("leftovers").

Prints one line, e.g.
  kill_trials: 200 trials, 0 wrong outputs, 0 failed reruns, 0 orphans, 0 leftovers
(each count is of trials), details on stderr; exits 1 if any count is not 0.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign_common as common  # noqa: E402


def calibrate(campaign):
    """The time of a cold run of the campaign notebook, in seconds."""
    project = campaign.project(-1, "-calibration")
    start = time.monotonic()
    rc, _, err = campaign.splitbook.run_notebook(project, {"n": 7, "salt": "scalib", "k": 2})
    elapsed = time.monotonic() - start
    if rc != 0:
        sys.exit(f"kill_trials: the calibration run failed (exit {rc}):\n{err}")
    common.remove_tree(project)
    return elapsed


def main():
    p = common.parser(__doc__, count=100, seconds=600)
    p.add_argument("--grace", type=float, default=0.3,
                   help="seconds after the kill before looking for surviving processes (default 0.3)")
    args = p.parse_args()
    campaign = common.Campaign("kill_trials", args)
    counts = {"wrong": 0, "failed": 0, "orphans": 0, "leftovers": 0}
    orphan_processes = 0
    finished_before_kill = 0
    cells_rerun = [0] * (len(common.CELLS) + 1)
    try:
        run_time = calibrate(campaign)
        common.log(f"kill_trials: a cold run takes {run_time * 1000:.0f} ms; kills land within {run_time * 1200:.0f} ms")
        for trial in campaign.numbers():
            rng = campaign.rng(trial)
            project = campaign.project(trial)
            problems = []
            found = set()
            params = common.random_params(rng)
            if rng.random() < 0.5:
                warm = common.random_params(rng)
                rc, _, err = campaign.splitbook.run_notebook(project, warm)
                if rc != 0:
                    problems.append(f"warm-up run with {warm} exited {rc}: {err.strip()[-400:]}")
                    found.add("failed")
            jobs = rng.choice([1, 2, 3])
            delay = rng.uniform(0, run_time * 1.2)
            process = campaign.splitbook.start(project, ["run", common.NOTEBOOK, "--jobs", str(jobs)] + common.param_args(params))
            time.sleep(delay)
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            else:
                finished_before_kill += 1
            process.wait()

            time.sleep(args.grace)
            survivors = common.processes_in(project)
            if survivors:
                found.add("orphans")
                orphan_processes += len(survivors)
                problems += [f"orphan of the killed run (killed {delay * 1000:.0f} ms in): pid {pid}: {cmd}"
                             for pid, cmd in survivors]
                common.kill_all(pid for pid, _ in survivors)
                for _ in range(50):
                    if not common.processes_in(project):
                        break
                    time.sleep(0.02)

            rc, report, err = campaign.splitbook.run_notebook(project, params, ["--jobs", str(jobs)])
            if rc != 0 or report is None:
                found.add("failed")
                problems.append(f"rerun after a kill at {delay * 1000:.0f} ms exited {rc}: {err.strip()[-600:]}")
            else:
                ran = sum(1 for c in report.get("cells", []) if c.get("status") == "ran")
                cells_rerun[min(ran, len(common.CELLS))] += 1
                wrong = common.check_report(report, params)
                wrong += common.check_workspace(project, params)
                wrong += common.check_registry(project, params)
                if wrong:
                    found.add("wrong")
                    problems += [f"after a kill at {delay * 1000:.0f} ms: {w}" for w in wrong]
            stray = common.leftovers(project)
            if stray:
                found.add("leftovers")
                problems.append(f"left after the rerun: {', '.join(stray[:8])}" + (" ..." if len(stray) > 8 else ""))
            for key in found:
                counts[key] += 1
            campaign.finish_trial(trial, project, problems)
    finally:
        campaign.close()
    common.log(f"kill_trials: {campaign.elapsed():.0f} s; {finished_before_kill} runs finished before their kill; "
               f"{orphan_processes} orphan processes in all; cells that ran in the rerun: "
               + ", ".join(f"{n}: {c}" for n, c in enumerate(cells_rerun) if c))
    print(f"kill_trials: {campaign.trials} trials, {counts['wrong']} wrong outputs, {counts['failed']} failed reruns, "
          f"{counts['orphans']} orphans, {counts['leftovers']} leftovers", flush=True)
    return 1 if any(counts.values()) or campaign.trials == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
