#!/usr/bin/env python3
"""Parity benchmark: what replaying 10,000 rows through the churn scorer costs.

    python3 bench/parity.py [--rows 10000] [--repeat 5] [--threads 8] [--bin PATH] [--build]

CONTRACT §12 replays an endpoint's parity rows through its chain on every
notebook run (and `splitbook serve` does before it serves a generation). This
measures that replay on the churn notebook's `score` endpoint, against
sending the same requests over HTTP to `splitbook serve` of the exported
bundle:

  * in `splitbook run`: a copy of notebooks/churn_model.yaml whose `score`
    cell declares parity on ROWS synthetic customers (an extra offline cell
    draws them, seeded, and scores them in batch with the published model,
    exactly as the notebook's `evaluate` cell does), run with
    `--force score`; against the same notebook without `parity`. The cell's
    own duration (the run's JSON report) is timed; the difference is the
    replay of ROWS rows, comparison included;
  * over HTTP: `splitbook serve` of the bundle exported from that notebook
    (`--workers 2`, it carries the ROWS rows), sent the ROWS requests once by
    one keep-alive connection (a sequential Python http.client client that
    also compares every answer with its row), and once by a Python thread
    pool of THREADS threads, one keep-alive connection each;
  * and the time `serve` takes to become ready with the ROWS rows against
    the bundle without them (its own parity check at load).

Medians of REPEAT repetitions (each sends all ROWS requests). The splitbook
binary: --bin, else the release build of bench/run.py
(.build-bench/x86_64-unknown-linux-gnu/release/splitbook), built first when
it is missing or predates parity, or with --build (bench/run.py's RELEASE
command; `export online` needs a static executable). The client shares the machine with
the server and its Python workers: on few cores, the HTTP numbers include
the client's CPU.
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE_BIN = os.path.join(ROOT, ".build-bench", "x86_64-unknown-linux-gnu", "release", "splitbook")
TOLERANCE = 1.5e-4   # the notebook's: {/churn_probability: 1.5e-4}, everything else exact

# An offline cell appended to the churn notebook: ROWS seeded synthetic
# customers as the API receives them, scored in batch by the candidate model
# the `evaluate` cell publishes, answered as the `score` cell answers.
BENCH_CELL = '''
  - id: bench_rows
    lang: python
    inputs: [model_candidate.skops, lib/churn_features.py]
    outputs: [rows.jsonl]
    params: [threshold]
    env: {BENCH_ROWS: "@ROWS@"}
    code: |
      import hashlib, json, os, random, sys
      sys.dont_write_bytecode = True
      sys.path.insert(0, "lib")
      import churn_features as cf
      import skops.io

      threshold = float(json.load(open(os.environ["SPLITBOOK_PARAMS"]))["threshold"])
      model = skops.io.load("model_candidate.skops")
      sha = hashlib.sha256(open("model_candidate.skops", "rb").read()).hexdigest()[:12]
      rng = random.Random(7)
      requests = []
      for n in range(int(os.environ["BENCH_ROWS"])):
          tenure = rng.randint(0, 72)
          monthly = round(rng.uniform(18, 120), 2)
          r = {"customer_id": f"B{n:05d}", "tenure_months": tenure, "monthly_charges": monthly,
               "contract": rng.choice(cf.CONTRACTS), "internet_service": rng.choice(cf.INTERNET),
               "payment_method": rng.choice(cf.PAYMENTS), "support_calls": rng.choice([0, 0, 0, 1, 1, 2, 3, 5, 8, 12]),
               "paperless_billing": rng.random() < 0.6, "senior_citizen": rng.random() < 0.15}
          if tenure:
              r["total_charges"] = round(tenure * monthly * rng.uniform(0.85, 1.05), 2)
          assert not cf.validate(r), r
          requests.append(r)
      probabilities = model.predict_proba([cf.features(r) for r in requests])[:, 1]
      with open("rows.jsonl", "w") as out:
          for r, p in zip(requests, probabilities):
              response = {"customer_id": r["customer_id"], "churn_probability": round(float(p), 4),
                          "label": "likely_to_churn" if p >= threshold else "likely_to_stay",
                          "threshold": threshold, "model": sha}
              out.write(json.dumps({"request": r, "response": response}, sort_keys=True) + "\\n")
      print(f"{len(requests)} rows")
'''


def pick_binary(args):
    """--bin, else the release build (built now with --build, or when missing or older than
    parity): `export online` copies a static executable into the bundle, which a debug build is not."""
    if args.bin:
        return args.bin, "--bin"
    fresh = os.path.exists(RELEASE_BIN) and "parity" in subprocess.run([RELEASE_BIN, "schema"], capture_output=True, text=True).stdout
    if fresh and not args.build:
        return RELEASE_BIN, "release"
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run  # bench/run.py: the release build
    return run.build(), "release (built now)"


def snapshot(binary, work):
    """A copy of the binary in the scratch directory, so that a rebuild during the run changes nothing."""
    copy = os.path.join(work, "splitbook")
    for attempt in range(30):
        try:
            shutil.copy2(binary, copy)
            if subprocess.run([copy, "schema"], capture_output=True).returncode == 0:
                return copy
        except OSError:
            pass
        time.sleep(10)   # being rebuilt: wait for it
    sys.exit(f"{binary} did not run for 5 minutes")


def notebooks(work, rows):
    """Two variants of the churn notebook: with parity on `rows` synthetic rows, and without parity."""
    source = open(os.path.join(ROOT, "notebooks", "churn_model.yaml"), encoding="utf-8").read()
    block = re.search(r"\n    parity:\n(?:      .*\n)+", source)
    if not block or "rows: evaluate/parity.jsonl" not in block.group(0):
        sys.exit("notebooks/churn_model.yaml: no `parity: rows: evaluate/parity.jsonl` block on the score cell")
    with_rows = source.replace("rows: evaluate/parity.jsonl", "rows: bench_rows/rows.jsonl")
    with_rows = with_rows.rstrip("\n") + "\n" + BENCH_CELL.replace("@ROWS@", str(rows))
    without = source.replace(block.group(0), "\n")
    for name, text in (("churn_rows", with_rows), ("churn_none", without)):
        with open(os.path.join(work, "notebooks", name + ".yaml"), "w", encoding="utf-8") as f:
            f.write(text)


def splitbook(binary, work, *args, check=True):
    result = subprocess.run([binary, *args], cwd=work, capture_output=True, text=True)
    if check and result.returncode != 0:
        sys.exit(f"splitbook {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def score_cell_seconds(binary, work, name):
    """`splitbook run --force score`: the score cell's duration, from the JSON report."""
    out = splitbook(binary, work, "run", f"notebooks/{name}.yaml", "--force", "score", "--json").stdout
    cell = next(c for c in json.loads(out)["cells"] if c["id"] == "score")
    if cell["status"] != "ran":
        sys.exit(f"{name}: score {cell['status']}")
    return cell["duration"], cell.get("metrics", {}).get("parity_rows", 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(binary, work, bundle):
    """Starts `serve` on a bundle; returns (process, port, seconds until /readyz said 200)."""
    port = free_port()
    start = time.perf_counter()
    process = subprocess.Popen([binary, "serve", bundle, "--port", str(port), "--workers", "2", "--registry", "outputs/registry"],
                               cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"serve {bundle} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return process, port, time.perf_counter() - start
        except Exception:
            time.sleep(0.05)
    stop(process)
    sys.exit(f"serve {bundle} never became ready")


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def same(expected, actual):
    if expected.keys() != actual.keys():
        return False
    return all(abs(expected[k] - actual[k]) <= TOLERANCE if k == "churn_probability" else expected[k] == actual[k]
               for k in expected)


def post_all(port, rows, check):
    """Sends every row's request over one keep-alive connection; returns the number of wrong answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    wrong = 0
    headers = {"Content-Type": "application/json"}
    for body, expected in rows:
        connection.request("POST", "/v1/score", body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200 or (check and not same(expected, json.loads(data))):
            wrong += 1
    connection.close()
    return wrong


def http_sequential(port, rows):
    start = time.perf_counter()
    wrong = post_all(port, rows, check=True)
    return time.perf_counter() - start, wrong


def http_threads(port, rows, threads):
    shares = [rows[i::threads] for i in range(threads)]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        wrong = sum(pool.map(lambda share: post_all(port, share, check=True), shares))
    return time.perf_counter() - start, wrong


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--bin")
    parser.add_argument("--build", action="store_true", help="build the release binary first (bench/run.py's RELEASE)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    binary, kind = pick_binary(args)
    print(f"splitbook: {binary} ({kind}); {args.rows} rows; medians of {args.repeat}; {os.cpu_count()} cores", flush=True)

    work = tempfile.mkdtemp(prefix="sb-bench-parity-")
    try:
        binary = snapshot(binary, work)
        shutil.copytree(os.path.join(ROOT, "notebooks"), os.path.join(work, "notebooks"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        notebooks(work, args.rows)
        print("preparing: running both variants cold (builds the Python environment once)...", flush=True)
        for name in ("churn_rows", "churn_none"):
            splitbook(binary, work, "run", f"notebooks/{name}.yaml")
            splitbook(binary, work, "export", "online", f"notebooks/{name}.yaml", "-o", f"svc-{name}")
        with open(os.path.join(work, "svc-churn_rows", "parity", "score.jsonl")) as f:
            lines = [json.loads(line) for line in f]
        rows = [(json.dumps(r["request"]), r["response"]) for r in lines]
        assert len(rows) == args.rows, len(rows)

        run_rows, run_none, seq, par, ready_rows, ready_none = [], [], [], [], [], []
        for i in range(args.repeat):
            seconds, checked = score_cell_seconds(binary, work, "churn_rows")
            assert checked == args.rows, checked
            run_rows.append(seconds)
            run_none.append(score_cell_seconds(binary, work, "churn_none")[0])

            process, _, ready = serve(binary, work, "svc-churn_none")
            ready_none.append(ready)
            stop(process)
            process, port, ready = serve(binary, work, "svc-churn_rows")
            ready_rows.append(ready)
            try:
                post_all(port, rows[:200], check=False)                   # warm up
                seconds, wrong = http_sequential(port, rows)
                if wrong:
                    sys.exit(f"{wrong} of {len(rows)} HTTP answers differ from their rows")
                seq.append(seconds)
                seconds, wrong = http_threads(port, rows, args.threads)
                if wrong:
                    sys.exit(f"{wrong} of {len(rows)} HTTP answers (thread pool) differ from their rows")
                par.append(seconds)
            finally:
                stop(process)
            print(f"  repetition {i + 1}: run {run_rows[-1]:.2f} s vs {run_none[-1]:.2f} s without rows; "
                  f"HTTP {seq[-1]:.2f} s sequential, {par[-1]:.2f} s with {args.threads} threads; "
                  f"ready {ready_rows[-1]:.2f} s vs {ready_none[-1]:.2f} s", flush=True)

        m = statistics.median
        replay = m(run_rows) - m(run_none)
        n = args.rows
        print(f"\nmedians ({n} rows, {args.repeat} repetitions):")
        print(f"  splitbook run, score cell with the rows      {m(run_rows):7.2f} s")
        print(f"  splitbook run, score cell without parity     {m(run_none):7.2f} s")
        print(f"  => the replay in splitbook run               {replay:7.2f} s   {replay / n * 1e6:6.0f} us/row")
        print(f"  HTTP to serve, 1 connection (sequential)     {m(seq):7.2f} s   {m(seq) / n * 1e6:6.0f} us/request")
        print(f"  HTTP to serve, {args.threads} threads (Python pool)      {m(par):7.2f} s   {m(par) / n * 1e6:6.0f} us/request")
        print(f"  serve: ready with the rows / without         {m(ready_rows):7.2f} s / {m(ready_none):.2f} s"
              f"   (its check at load: {m(ready_rows) - m(ready_none):.2f} s)")
        print(f"  ratio HTTP sequential / replay in run        {m(seq) / replay:7.2f}x")
        print(f"  ratio HTTP {args.threads} threads / replay in run         {m(par) / replay:7.2f}x")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
