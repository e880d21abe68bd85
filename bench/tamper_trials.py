#!/usr/bin/env python3
"""Damage one thing in outputs/.splitbook (or a workspace copy), rerun, check
that no wrong byte comes back.

    python3 bench/tamper_trials.py [--count N] [--seconds S] [--seed N] [--binary PATH] [--kinds K,...]

Each trial makes a fresh project holding the campaign notebook
(bench/campaign_common.py: gen -> split/count -> slow/py -> join, a directory
output `parts`, two published artifacts), runs it with params P1, then P2,
picks the params R of the rerun (P1: everything restored from cache entries;
P1 with another k: gen and split restored, the rest rerun on restored inputs;
P2: the current state, after one more all-cached run so that the no-op stamp
exists), damages ONE thing of the trial's kind, reruns with R and checks:

  - the rerun does not crash: exit 0, 1 or 2, never a signal, a hang or
    another status; with 0 a parseable `--json` report, otherwise a message on
    stderr ("crashes"); `status` and `runs list` afterwards likewise;
  - no wrong byte was restored: every output of every cell the report calls
    ran or cached (all of them when it exits 0) holds exactly the bytes
    computed independently in Python, so do the digests the report gives, and
    every registry version matches its lineage ("wrong bytes restored").

Kinds (trials go round-robin over them):
  truncate   an output's object in objects/ emptied or cut short (mtime restored half the time)
  flip       an object's bytes changed at the same size, mtime restored (os.utime)
  delete     an object removed
  chmod      an object made writable or unreadable (0644, 0666, 0000, 0200)
  tree       a file object inside the directory output, or its tree manifest, truncated or flipped
  entry      a steps/*.json cache entry: random bytes, cut short, or emptied
  state      state/campaign.state: random bytes, cut short, or characters changed
  history    a runs/campaign/*.json record: random bytes, cut short, or emptied
  memo       hashes.v1: random bytes, cut short, or characters changed
  workspace  the user edits outputs/campaign/...: appends, same-size change with mtime
             restored, deletes, truncates, adds a file to parts/, replaces a file by a directory
  stamp      noop/campaign.*: random bytes, cut short, or characters changed

Objects are found by the SHA-256 of each expected output (campaign_common.digest_of).
Prints one line, e.g.
  tamper_trials: 220 trials (20 per kind), 0 wrong bytes restored, 0 crashes
(counts of trials), per-kind counts and details on stderr; exits 1 if either count is not 0.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign_common as common  # noqa: E402

KINDS = ["truncate", "flip", "delete", "chmod", "tree", "entry", "state", "history", "memo", "workspace", "stamp"]
OBJECT_KINDS = {"truncate", "flip", "delete", "chmod", "tree"}
# Cells whose results the rerun restores, per choice of R.
RESTORED = {"P1": set(common.CELLS), "P1k": {"gen", "split"}, "P2": set(common.CELLS)}


def keep_times(path):
    st = os.stat(path)
    return lambda: os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def truncate(path, rng, sneaky):
    size = os.path.getsize(path)
    length = 0 if size == 0 or rng.random() < 0.4 else rng.randrange(0, size)
    restore = keep_times(path)
    with open(path, "r+b") as f:
        f.truncate(length)
    if sneaky:
        restore()
    return f"cut to {length} of {size} bytes" + (" (mtime kept)" if sneaky else "")


def flip(path, rng):
    """Same size, different bytes, mtime kept."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if not data:
        return truncate(path, rng, True)
    restore = keep_times(path)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(data))
        data[i] ^= rng.randint(1, 255)
    with open(path, "r+b") as f:
        f.write(bytes(data))
    restore()
    return f"{len(data)} bytes changed in place (mtime kept)"


def garble(path, rng):
    """Random bytes, cut short, emptied, or a few characters changed."""
    how = rng.choice(["random", "cut", "empty", "chars"])
    if how == "random":
        with open(path, "wb") as f:
            f.write(bytes(rng.randrange(256) for _ in range(rng.randint(1, 400))))
        return "replaced by random bytes"
    if how == "empty":
        with open(path, "wb"):
            pass
        return "emptied"
    if how == "cut":
        return truncate(path, rng, False)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if not data:
        return "empty already"
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.choice(b"0123456789abcdef -/\n\x00{}\"z")
    with open(path, "wb") as f:
        f.write(bytes(data))
    return "characters changed"


def object_targets(project, params, cells, only_tree=False):
    """(label, object path) of the stored objects behind the outputs of `cells` for `params`."""
    expected = common.expected_outputs(params)
    targets = []
    for path, want in expected.items():
        if common.PRODUCERS[path] not in cells:
            continue
        if isinstance(want, dict):
            if only_tree:
                targets.append((f"{path} (tree manifest)", common.store_object(project, common.digest_of(want))))
                targets += [(f"{path}{rel}", common.store_object(project, common.digest_bytes(data)))
                            for rel, data in want["files"].items()]
        elif not only_tree:
            targets.append((path, common.store_object(project, common.digest_bytes(want))))
    return [(label, obj) for label, obj in targets if os.path.exists(obj)]


def files_in(directory, suffix=""):
    try:
        return sorted(os.path.join(directory, n) for n in os.listdir(directory)
                      if n.endswith(suffix) and not n.startswith(".") and os.path.isfile(os.path.join(directory, n)))
    except FileNotFoundError:
        return []


def damage(kind, project, rng, params):
    """Damages one thing; returns a description, or None when there was nothing to damage."""
    meta = os.path.join(project, "outputs", ".splitbook")
    rel = lambda p: os.path.relpath(p, project)  # noqa: E731
    if kind in OBJECT_KINDS:
        targets = object_targets(project, params, RESTORED[params["_r"]], only_tree=(kind == "tree"))
        if not targets:
            return None
        label, obj = rng.choice(targets)
        if kind == "truncate":
            what = truncate(obj, rng, rng.random() < 0.5)
        elif kind == "flip":
            what = flip(obj, rng)
        elif kind == "delete":
            os.unlink(obj)
            what = "deleted"
        elif kind == "chmod":
            mode = rng.choice([0o644, 0o666, 0o000, 0o200])
            os.chmod(obj, mode)
            what = f"chmod {mode:04o}"
        else:
            what = flip(obj, rng) if rng.random() < 0.5 else truncate(obj, rng, True)
        return f"object of {label} ({os.path.basename(obj)[:12]}): {what}"
    if kind == "workspace":
        base = os.path.join(project, "outputs", common.NOTEBOOK_NAME)
        files = [p for p in common.expected_outputs(params) if not p.endswith("/")]
        parts = [os.path.join("parts", r) for r in common.expected_outputs(params)["parts/"]["files"]]
        target = os.path.join(base, rng.choice(files + parts))
        how = rng.choice(["append", "flip", "delete", "truncate", "extra", "directory"])
        if how == "append":
            with open(target, "ab") as f:
                f.write(b"user edit\n")
        elif how == "flip":
            flip(target, rng)
        elif how == "delete":
            os.unlink(target)
        elif how == "truncate":
            truncate(target, rng, rng.random() < 0.5)
        elif how == "extra":
            target = os.path.join(base, "parts", rng.choice(["odd", "even", "empty", "new"]), "extra.txt")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(b"not an output\n")
        else:
            os.unlink(target)
            os.makedirs(os.path.join(target, "sub"))
        return f"{rel(target)}: {how}"
    if kind == "entry":
        candidates = files_in(os.path.join(meta, "steps"), ".json")
    elif kind == "state":
        candidates = files_in(os.path.join(meta, "state"), ".state")
    elif kind == "history":
        candidates = files_in(os.path.join(meta, "runs", common.NOTEBOOK_NAME), ".json")
    elif kind == "memo":
        candidates = [p for p in [os.path.join(meta, "hashes.v1")] if os.path.isfile(p)]
    else:  # stamp
        candidates = files_in(os.path.join(meta, "noop"))
    if not candidates:
        return None
    target = rng.choice(candidates)
    return f"{rel(target)}: {garble(target, rng)}"


def sane(label, rc, stdout, stderr, want_json):
    """A problem string when a command crashed or gave no usable answer, else None."""
    if common.is_crash(rc):
        return f"{label} crashed: exit {rc}: {stderr.strip()[-600:]}"
    if rc == 0 and want_json and stdout is None:
        return f"{label} exited 0 without a JSON report"
    if rc != 0 and not stderr.strip():
        return f"{label} exited {rc} without saying why"
    return None


def main():
    p = common.parser(__doc__, count=len(KINDS) * 10, seconds=900)
    p.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds to try (default: all)")
    args = p.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        p.error(f"unknown kinds {unknown}; known: {', '.join(KINDS)}")
    campaign = common.Campaign("tamper_trials", args)
    per_kind = {k: {"trials": 0, "wrong": 0, "crashes": 0, "errors": 0, "reran": 0, "skipped": 0} for k in kinds}
    wrong_trials = crash_trials = 0
    try:
        for trial in campaign.numbers():
            rng = campaign.rng(trial)
            kind = kinds[trial % len(kinds)]
            stats = per_kind[kind]
            project = campaign.project(trial)
            problems = []
            p1 = common.random_params(rng)
            p2 = common.random_params(rng)
            while p2["salt"] == p1["salt"]:
                p2 = common.random_params(rng)
            choice = "P2" if kind in ("workspace", "stamp") else rng.choice(["P1", "P1k", "P2"])
            r = dict(p1) if choice != "P2" else dict(p2)
            if choice == "P1k":
                r["k"] = p1["k"] % 9 + 1
            setup = [p1, p2] + ([p2] if choice == "P2" else [])
            setup_ok = True
            for params in setup:
                rc, _, err = campaign.splitbook.run_notebook(project, params)
                if rc != 0:
                    problems.append(f"setup run with {params} exited {rc}: {err.strip()[-400:]}")
                    setup_ok = False
            what = damage(kind, project, rng, dict(r, _r=choice)) if setup_ok else None
            if what is None:
                stats["skipped"] += 1
                if setup_ok:
                    problems.append(f"{kind}: nothing to damage (R={choice})")
                campaign.finish_trial(trial, project, problems)
                continue
            stats["trials"] += 1
            context = f"{kind}, R={choice}, {what}"

            rc, report, err = campaign.splitbook.run_notebook(project, r)
            crash = sane("rerun", rc, report, err, want_json=True)
            for label, command in (("status", ["status", common.NOTEBOOK] + common.param_args(r)),
                                   ("runs list", ["runs", "list"])):
                c_rc, c_out, c_err = campaign.splitbook.run(project, command)
                crash = crash or sane(label, c_rc, c_out, c_err, want_json=False)
            wrong = []
            if report is not None:
                cells = common.ok_cells(report)
                wrong += common.check_report(report, r, require_all=(rc == 0))
                wrong += common.check_workspace(project, r, cells=cells)
                publishers_ok = {"split", "py"} <= cells
                wrong += common.check_registry(project, r if rc == 0 and publishers_ok else None)
                if any(c.get("status") == "ran" and c["id"] in RESTORED[choice] for c in report.get("cells", [])):
                    stats["reran"] += 1
            else:
                wrong += common.check_registry(project, None)
            if rc in (1, 2):
                stats["errors"] += 1
                if not args.quiet:
                    common.log(f"tamper_trials: trial {trial} ({context}): the rerun exited {rc} (a clean error): "
                               f"{err.strip()[-300:]}")
            if crash:
                stats["crashes"] += 1
                crash_trials += 1
                problems.append(f"{context}: {crash}")
            if wrong:
                stats["wrong"] += 1
                wrong_trials += 1
                problems += [f"{context}: {w}" for w in wrong]
            campaign.finish_trial(trial, project, problems)
    finally:
        campaign.close()
    for kind, s in per_kind.items():
        common.log(f"tamper_trials: {kind:9} {s['trials']:4} trials, {s['wrong']:3} wrong bytes restored, {s['crashes']:3} crashes, "
                   f"{s['errors']:3} clean errors (exit 1/2), {s['reran']:3} reran a damaged-cache cell"
                   + (f", {s['skipped']} skipped (nothing to damage)" if s["skipped"] else ""))
    common.log(f"tamper_trials: {campaign.elapsed():.0f} s")
    done = [s["trials"] for s in per_kind.values()]
    spread = f"{min(done)} per kind" if min(done) == max(done) else f"{min(done)}-{max(done)} per kind"
    skipped = sum(s["skipped"] for s in per_kind.values())
    print(f"tamper_trials: {sum(done)} trials ({spread}), {wrong_trials} wrong bytes restored, {crash_trials} crashes", flush=True)
    return 1 if wrong_trials or crash_trials or skipped or sum(done) == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
