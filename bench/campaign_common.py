"""Shared parts of the robustness campaign (bench/kill_trials.py,
bench/concurrent_trials.py, bench/tamper_trials.py): the campaign notebook,
the bytes its outputs must hold (computed here, independently of splitbook),
the checks of a workspace and a registry against them, the /proc scan for
leftover processes, and the command-line skeleton every tool shares.

Python 3 standard library only. Each tool runs the real `splitbook` binary in
a temporary directory it removes, prints exactly one summary line on stdout
(details of every problem go to stderr) and exits 1 when anything was wrong.
"""
import argparse
import errno
import hashlib
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK_NAME = "campaign"
NOTEBOOK = f"notebooks/{NOTEBOOK_NAME}.yaml"
RUN_TIMEOUT = 120  # seconds: a run that takes longer counts as hung (and is killed)


def default_binary():
    """The release binary bench/run.py builds, else the debug build."""
    release = os.path.join(ROOT, ".build-bench", "release", "splitbook")
    if os.access(release, os.X_OK):
        return release
    return os.path.join(ROOT, ".build", "debug", "splitbook")


# ---- the campaign notebook ------------------------------------------------------------------
#
#   gen ──> split ──> slow ──┐
#    │        │ (parts/)     ├──> join
#    └──> count ──> py ──────┘
#
# Six cells: five sh, one python. `split` has three outputs, one a directory
# (with an empty subdirectory) that it publishes; `slow` has two and takes
# about 0.4 s in small sleeps, so a kill often lands inside a running cell;
# `py` publishes a file. Every byte depends only on the params.

NOTEBOOK_YAML = r"""title: Robustness campaign
params:
  n: 5
  salt: sabc
  k: 3
cells:
  - id: gen
    params: [n, salt]
    outputs: [gen.txt]
    code: |
      i=1
      while [ "$i" -le "$PARAM_N" ]; do
        echo "$PARAM_SALT $i $((i * i))"
        i=$((i + 1))
      done > gen.txt
  - id: split
    inputs: [gen.txt]
    params: []
    outputs: [head.txt, tail.txt, parts]
    publish: {campaign_parts: parts}
    code: |
      head -n 2 gen.txt > head.txt
      tail -n 3 gen.txt > tail.txt
      mkdir -p parts/odd parts/even parts/empty
      i=0
      while IFS= read -r line; do
        i=$((i + 1))
        if [ $((i % 2)) -eq 0 ]; then d=even; else d=odd; fi
        printf '%s\n' "$line" > "parts/$d/line$i.txt"
      done < gen.txt
  - id: count
    inputs: [gen.txt]
    params: [k]
    outputs: [count.txt]
    code: |
      lines=0
      while IFS= read -r line; do lines=$((lines + 1)); done < gen.txt
      echo "lines=$lines k=$PARAM_K product=$((lines * PARAM_K))" > count.txt
  - id: slow
    inputs: [head.txt]
    params: [k]
    outputs: [slow.txt, slow.log]
    code: |
      t=0
      while [ "$t" -lt 8 ]; do
        sleep 0.05
        t=$((t + 1))
        echo "tick $t" >> slow.log
      done
      cat head.txt head.txt > slow.txt
      echo "k=$PARAM_K" >> slow.txt
  - id: py
    lang: python
    inputs: [count.txt, tail.txt]
    params: [k, salt]
    outputs: [summary.json]
    publish: {campaign_summary: summary.json}
    code: |
      import json, os
      k = int(os.environ["PARAM_K"])
      tail = open("tail.txt").read().splitlines()
      doc = {"count": open("count.txt").read().split(), "tail": tail, "k": k,
             "salt": os.environ["PARAM_SALT"], "scaled": [len(line) * k for line in tail]}
      with open("summary.json", "w") as f:
          json.dump(doc, f, sort_keys=True, indent=1)
          f.write("\n")
  - id: join
    inputs: [summary.json, slow.txt, count.txt, parts]
    params: []
    outputs: [final.txt]
    code: |
      cat summary.json slow.txt count.txt > final.txt
      i=1
      while :; do
        if [ -f "parts/odd/line$i.txt" ]; then f="parts/odd/line$i.txt"
        elif [ -f "parts/even/line$i.txt" ]; then f="parts/even/line$i.txt"
        else break; fi
        printf '%s: ' "$f" >> final.txt
        cat "$f" >> final.txt
        i=$((i + 1))
      done
"""

CELLS = ["gen", "split", "count", "slow", "py", "join"]
# Output path -> the cell that writes it (directories end in "/").
PRODUCERS = {"gen.txt": "gen", "head.txt": "split", "tail.txt": "split", "parts/": "split", "count.txt": "count",
             "slow.txt": "slow", "slow.log": "slow", "summary.json": "py", "final.txt": "join"}
PUBLISHED = {"campaign_parts": "parts/", "campaign_summary": "summary.json"}


def random_params(rng):
    """Params that make every cell's key differ from most other draws."""
    salt = "s" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(5))
    return {"n": rng.randint(3, 40), "salt": salt, "k": rng.randint(1, 9)}


def param_args(params):
    out = []
    for name in sorted(params):
        out += ["-p", f"{name}={params[name]}"]
    return out


def expected_outputs(params):
    """What each output holds for these params: path -> bytes for files, and for
    the directory output "parts/" a dict {"files": {rel: bytes}, "dirs": [empty dir rel]}."""
    n, salt, k = params["n"], params["salt"], params["k"]
    lines = [f"{salt} {i} {i * i}\n" for i in range(1, n + 1)]
    gen = "".join(lines)
    head = "".join(lines[:2])
    tail = "".join(lines[-3:])
    parts = {}
    for i, line in enumerate(lines, start=1):
        parts[f"{'even' if i % 2 == 0 else 'odd'}/line{i}.txt"] = line.encode()
    count = f"lines={n} k={k} product={n * k}\n"
    slow = head + head + f"k={k}\n"
    slow_log = "".join(f"tick {t}\n" for t in range(1, 9))
    tail_lines = tail.splitlines()
    doc = {"count": count.split(), "tail": tail_lines, "k": k, "salt": salt,
           "scaled": [len(line) * k for line in tail_lines]}
    summary = json.dumps(doc, sort_keys=True, indent=1) + "\n"
    final = summary + slow + count
    for i, line in enumerate(lines, start=1):
        final += f"parts/{'even' if i % 2 == 0 else 'odd'}/line{i}.txt: {line}"
    return {
        "gen.txt": gen.encode(), "head.txt": head.encode(), "tail.txt": tail.encode(),
        "parts/": {"files": parts, "dirs": ["empty"]},
        "count.txt": count.encode(), "slow.txt": slow.encode(), "slow.log": slow_log.encode(),
        "summary.json": summary.encode(), "final.txt": final.encode(),
    }


# ---- digests, as splitbook computes them (Sources/SplitbookEngine/Store/Digest.swift, Tree.swift) ----

CHUNKED_THRESHOLD = 64 << 20
CHUNK_SIZE = 16 << 20


def digest_bytes(data):
    if len(data) < CHUNKED_THRESHOLD:
        return hashlib.sha256(data).hexdigest()
    outer = hashlib.sha256(f"splitbook-chunked-sha256 1 {CHUNK_SIZE} {len(data)}\n".encode())
    for start in range(0, len(data), CHUNK_SIZE):
        outer.update(hashlib.sha256(data[start:start + CHUNK_SIZE]).digest())
    return outer.hexdigest()


def tree_manifest(tree):
    """The manifest of a directory given as {"files": {rel: bytes}, "dirs": [empty dir rels]}."""
    entries = [(rel, f"f {digest_bytes(data)} - {rel}\n") for rel, data in tree["files"].items()]
    entries += [(rel, f"d {rel}\n") for rel in tree["dirs"]]
    return ("splitbook-tree 1\n" + "".join(line for _, line in sorted(entries))).encode()


def digest_of(expected):
    return digest_bytes(tree_manifest(expected)) if isinstance(expected, dict) else digest_bytes(expected)


def read_tree(path):
    """A directory on disk as {"files": {rel: bytes}, "dirs": [...], "other": [...]}."""
    tree = {"files": {}, "dirs": [], "other": []}
    for dirpath, dirnames, filenames in os.walk(path):
        rel_dir = os.path.relpath(dirpath, path)
        if rel_dir != "." and not dirnames and not filenames:
            tree["dirs"].append(rel_dir)
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, path)
            if os.path.islink(full) or not os.path.isfile(full):
                tree["other"].append(rel)
            else:
                with open(full, "rb") as f:
                    tree["files"][rel] = f.read()
    return tree


def describe_bytes(data):
    text = repr(data[:60]) + ("..." if len(data) > 60 else "")
    return f"{len(data)} bytes {text}"


def compare(label, path, expected):
    """Problems with the file or directory at `path` against its expectation (empty: identical)."""
    if isinstance(expected, dict):
        if not os.path.isdir(path) or os.path.islink(path):
            return [f"{label}: missing or not a directory"]
        actual = read_tree(path)
        problems = []
        for rel in sorted(set(expected["files"]) | set(actual["files"])):
            want, got = expected["files"].get(rel), actual["files"].get(rel)
            if want is None:
                problems.append(f"{label}{rel}: unexpected file ({describe_bytes(got)})")
            elif got is None:
                problems.append(f"{label}{rel}: missing")
            elif want != got:
                problems.append(f"{label}{rel}: wrong bytes: {describe_bytes(got)}, expected {describe_bytes(want)}")
        if sorted(actual["dirs"]) != sorted(expected["dirs"]):
            problems.append(f"{label}: empty directories {sorted(actual['dirs'])}, expected {sorted(expected['dirs'])}")
        if actual["other"]:
            problems.append(f"{label}: unexpected non-regular files {actual['other']}")
        return problems
    if not os.path.isfile(path) or os.path.islink(path):
        return [f"{label}: missing or not a regular file"]
    with open(path, "rb") as f:
        got = f.read()
    if got != expected:
        return [f"{label}: wrong bytes: {describe_bytes(got)}, expected {describe_bytes(expected)}"]
    return []


def check_workspace(project, params, cells=None):
    """Problems with outputs/NAME/ against the expectation for `params`;
    only the outputs of `cells` when given (cells that reported ran/cached)."""
    expected = expected_outputs(params)
    base = os.path.join(project, "outputs", NOTEBOOK_NAME)
    problems = []
    for path, want in expected.items():
        if cells is not None and PRODUCERS[path] not in cells:
            continue
        problems += compare(f"outputs/{NOTEBOOK_NAME}/{path}", os.path.join(base, path.rstrip("/")), want)
    return problems


def check_report(report, params, require_all=True):
    """Problems with a `run --json` report: statuses, and the digests it gives for outputs."""
    problems = []
    expected = expected_outputs(params)
    cells = {c.get("id"): c for c in report.get("cells", [])}
    for cell in CELLS:
        status = cells.get(cell, {}).get("status")
        if status not in ("ran", "cached"):
            if require_all:
                problems.append(f"report: cell {cell} is {status!r}")
            continue
        outputs = cells[cell].get("outputs", {})
        for path, producer in PRODUCERS.items():
            if producer != cell:
                continue
            got = outputs.get(path.rstrip("/"), {}).get("digest")
            if got != digest_of(expected[path]):
                problems.append(f"report: {cell} says {path} has digest {got}, expected {digest_of(expected[path])}")
    return problems


def ok_cells(report):
    return {c["id"] for c in report.get("cells", []) if c.get("status") in ("ran", "cached")}


def check_registry(project, latest_params=None):
    """Problems with outputs/registry: every version's content must hash to its
    lineage's contentHash, no two versions of an artifact may hold the same
    content, and (with `latest_params`) `latest` must hold those params' bytes."""
    root = os.path.join(project, "outputs", "registry")
    problems = []
    expected = expected_outputs(latest_params) if latest_params else None
    for artifact, path in PUBLISHED.items():
        versions_dir = os.path.join(root, artifact, "versions")
        try:
            versions = sorted(int(v) for v in os.listdir(versions_dir) if v.isdigit())
        except FileNotFoundError:
            versions = []
        seen = {}
        for v in versions:
            vdir = os.path.join(versions_dir, str(v))
            try:
                with open(os.path.join(vdir, "lineage.json")) as f:
                    lineage = json.load(f)
            except (OSError, ValueError) as error:
                problems.append(f"registry {artifact}@{v}: unreadable lineage ({error})")
                continue
            content = os.path.join(vdir, "content")
            if os.path.isdir(content):
                tree = read_tree(content)
                actual = digest_bytes(tree_manifest(tree))
            elif os.path.isfile(content):
                with open(content, "rb") as f:
                    actual = digest_bytes(f.read())
            else:
                problems.append(f"registry {artifact}@{v}: content missing")
                continue
            if actual != lineage.get("contentHash"):
                problems.append(f"registry {artifact}@{v}: content hashes to {actual}, lineage says {lineage.get('contentHash')}")
            if actual in seen:
                problems.append(f"registry {artifact}@{v}: same content as version {seen[actual]}")
            seen[actual] = v
        if expected is not None:
            try:
                with open(os.path.join(root, artifact, "aliases", "latest")) as f:
                    latest = int(f.read().strip())
            except (OSError, ValueError) as error:
                problems.append(f"registry {artifact}: no readable 'latest' alias ({error})")
                continue
            problems += compare(f"registry {artifact}@latest({latest})",
                                os.path.join(versions_dir, str(latest), "content"), expected[path])
    return problems


def store_object(project, digest):
    return os.path.join(project, "outputs", ".splitbook", "objects", digest)


# ---- processes ----------------------------------------------------------------------------

def processes_in(directory):
    """(pid, cmdline) of every process whose cwd or command line points into `directory`."""
    directory = os.path.realpath(directory)
    prefix = directory + os.sep
    pattern = re.compile(re.escape(directory) + r"(/|\s|$)")
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmdline = ""
        if cwd == directory or cwd.startswith(prefix) or pattern.search(cmdline):
            found.append((pid, cmdline or f"[cwd {cwd}]"))
    return found


def kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class Splitbook:
    """Runs the real binary in a project directory."""

    def __init__(self, binary):
        self.binary = binary
        self.env = dict(os.environ)
        self.env.pop("SPLITBOOK_REGISTRY", None)  # the registry is outputs/registry

    def run(self, project, args, timeout=RUN_TIMEOUT):
        """(returncode, stdout, stderr); a hung command is killed and returns "timeout"."""
        process = self.start(project, args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            return "timeout", out.decode(errors="replace"), err.decode(errors="replace")
        return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def start(self, project, args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        # ETXTBSY: someone is relinking the binary (a shared .build); wait for the linker.
        for attempt in range(100):
            try:
                return subprocess.Popen([self.binary] + args, cwd=project, env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=stdout, stderr=stderr)
            except OSError as error:
                if error.errno != errno.ETXTBSY or attempt == 99:
                    raise
                time.sleep(0.1)

    def run_notebook(self, project, params, extra=()):
        """`run NB -p ... --json`: (returncode, parsed report or None, stderr)."""
        rc, out, err = self.run(project, ["run", NOTEBOOK, "--json"] + param_args(params) + list(extra))
        try:
            report = json.loads(out) if out.strip() else None
        except ValueError:
            report = None
        return rc, report, err


def is_crash(rc):
    """A signal, a hang or an exit status no command documents (0, 1, 2; 130 only when interrupted)."""
    return not isinstance(rc, int) or rc < 0 or rc > 2


def make_project(parent, label):
    project = os.path.join(parent, label)
    os.makedirs(os.path.join(project, "notebooks"))
    with open(os.path.join(project, NOTEBOOK), "w") as f:
        f.write(NOTEBOOK_YAML)
    return project


def remove_tree(path):
    def unblock(func, target, _exc):
        try:
            os.chmod(os.path.dirname(target), 0o700)
            os.chmod(target, stat.S_IRWXU)
        except OSError:
            pass
        func(target)
    shutil.rmtree(path, onerror=unblock)


def leftovers(project):
    """Stray `.tmp-*` files (AtomicFile's temporaries) anywhere in outputs/.splitbook and the registry,
    and anything in .splitbook/tmp/ or registry/.tmp/ (scratch and staging of runs that are gone)."""
    found = []
    meta = os.path.join(project, "outputs", ".splitbook")
    for base in (meta, os.path.join(project, "outputs", "registry")):
        for dirpath, dirnames, filenames in os.walk(base):
            rel = os.path.relpath(dirpath, os.path.join(project, "outputs"))
            if rel in (os.path.join(".splitbook", "tmp"), os.path.join("registry", ".tmp")):
                found += [os.path.join(rel, name) for name in dirnames + filenames]
                dirnames[:] = []
                continue
            if rel == os.path.join(".splitbook", "objects"):
                continue
            found += [os.path.join(rel, name) for name in filenames + dirnames if name.startswith(".tmp-")]
    return sorted(found)


# ---- the command-line skeleton ---------------------------------------------------------------

def parser(description, count, seconds):
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=count, help=f"at most this many trials (default {count})")
    p.add_argument("--seconds", type=float, default=seconds,
                   help=f"start no trial after this many seconds (default {seconds:g})")
    p.add_argument("--seed", type=int, default=None, help="seed of every random choice (default: from the clock, printed on stderr)")
    p.add_argument("--binary", default=None, help="the splitbook executable (default: .build-bench/release/splitbook "
                   "if present, else .build/debug/splitbook)")
    p.add_argument("--trial", type=int, default=None, help="run only trial number N of this seed (to reproduce one)")
    p.add_argument("--keep", action="store_true", help="keep the projects of trials that found a problem (paths on stderr)")
    p.add_argument("--quiet", action="store_true", help="print no per-problem details on stderr")
    return p


class Campaign:
    """The trial loop: bounded by --count and --seconds, one RNG per trial
    derived from --seed (so `--seed S --trial N` replays trial N's choices)."""

    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.seed = args.seed if args.seed is not None else int(time.time() * 1000) % 1_000_000
        self.binary = os.path.abspath(args.binary or default_binary())
        if not os.access(self.binary, os.X_OK):
            sys.exit(f"{name}: no splitbook binary at {self.binary} (build it, or pass --binary)")
        self.splitbook = Splitbook(self.binary)
        self.workdir = tempfile.mkdtemp(prefix=f"splitbook-{name}-")
        self.started = time.monotonic()
        self.trials = 0
        self.failed_trials = 0
        self.kept = []
        log(f"{name}: seed {self.seed}, binary {self.binary}, {args.count} trials at most, {args.seconds:g} s at most")

    def rng(self, trial):
        return random.Random(self.seed * 1_000_003 + trial)

    def numbers(self):
        if self.args.trial is not None:
            yield self.args.trial
            return
        for trial in range(self.args.count):
            if time.monotonic() - self.started >= self.args.seconds:
                return
            yield trial

    def project(self, trial, label=""):
        return make_project(self.workdir, f"t{trial}{label}")

    def finish_trial(self, trial, project, problems):
        """Records a trial; `problems` is a list of strings (empty: all fine)."""
        self.trials += 1
        if problems:
            self.failed_trials += 1
            if not self.args.quiet:
                log(f"{self.name}: trial {trial} (--seed {self.seed} --trial {trial}):")
                for problem in problems[:12]:
                    log(f"    {problem}")
                if len(problems) > 12:
                    log(f"    ... and {len(problems) - 12} more")
            if self.args.keep:
                kept = tempfile.mkdtemp(prefix=f"splitbook-{self.name}-kept-t{trial}-")
                shutil.move(project, kept)
                self.kept.append(kept)
                log(f"    kept in {kept}")
                return
        kill_all(pid for pid, _ in processes_in(project))
        remove_tree(project)

    def close(self):
        kill_all(pid for pid, _ in processes_in(self.workdir))
        remove_tree(self.workdir)

    def elapsed(self):
        return time.monotonic() - self.started


def log(text):
    print(text, file=sys.stderr, flush=True)
