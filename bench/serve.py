#!/usr/bin/env python3
"""Serving benchmark: `splitbook serve` against FastAPI + uvicorn in the same
run, with the same Python handler code and the same number of worker
processes, the two alternated A B A B.

    python3 bench/serve.py [--workers 2] [--seconds 10] [--rounds 3] [--only NAME,...] [--bin PATH]

Needs wrk (installed from Debian packages when missing) and creates a venv
with FastAPI and `uvicorn[standard]` (uvloop and httptools: what
`pip install "fastapi[standard]"` gives and what FastAPI's deployment docs
run; pure-Python uvicorn is about 3x slower and nobody deploys it) plus numpy
under .build/bench-venv. splitbook's Python workers run on that venv's python
too (it is first on PATH), so both servers run the same interpreter and numpy.

Handlers:
  echo    returns the request
  1ms     about 1 ms of CPU per request
  numpy   a small model: a 16 -> 512 -> 1 network (two matrix products);
          splitbook serves it with `handle_batch` (one product per batch),
          FastAPI with its natural per-request endpoint

For each handler both servers are started, then for each round: wrk at 64
connections for --seconds against splitbook, then against FastAPI (the
median of the rounds is reported). Then latency at half load: both servers
under the same paced load of half FastAPI's maximum, alternated for the same
number of rounds (medians of p50 and p99): as many wrk connections as that
rate needs, each waiting a random think time between its requests
(exponential, mean 10 ms: independent clients). A fixed think time is not
used: a closed loop with a constant pause falls into step with the server
(each connection's next request lands exactly one pause after its answer),
which rewards a server that pins connections to processes for the pattern,
not the load (docs/DECISIONS.md has the numbers). Then p50/p99 of both at the same 1 and 8
connections, and the splitbook server's own resident memory (without its
Python workers).
"""
import argparse
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

import run  # bench/run.py: the release build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".build", "bench-venv")
PACKAGES = ["fastapi==0.115.6", "uvicorn[standard]==0.32.1", "numpy==2.3.5"]

BUSY = ("import time\n"
        "def handle(request):\n"
        "    end = time.perf_counter() + 0.001\n"
        "    n = 0\n"
        "    while time.perf_counter() < end:\n"
        "        n += 1\n"
        "    return {\"ok\": True, \"x\": request.get(\"x\")}\n")

MODEL = ("import numpy as np\n"
         "rng = np.random.default_rng(0)\n"
         "W1, W2 = rng.standard_normal((16, 512)), rng.standard_normal((512, 1))\n"
         "def predict(X):\n"
         "    return np.maximum(X @ W1, 0.0) @ W2\n"
         "def handle(request):\n"
         "    return {\"y\": float(predict(np.asarray([request[\"x\"]]))[0, 0])}\n")

BATCH = ("def handle_batch(requests):\n"
         "    Y = predict(np.asarray([r[\"x\"] for r in requests]))\n"
         "    return [{\"y\": float(y)} for y in Y[:, 0]]\n")

X16 = "[" + ", ".join(f"{0.1 * i:.1f}" for i in range(16)) + "]"

# name: (the code both run, what only splitbook's cell adds, the request body)
HANDLERS = {
    "echo": ("def handle(request):\n    return request\n", "", '{"x": 1}'),
    "1ms": (BUSY, "", '{"x": 1}'),
    "numpy": (MODEL, BATCH, '{"x": ' + X16 + '}'),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, process, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited ({process.returncode}) before {url} was ready")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.1)
    sys.exit(f"{url} never became ready")


def ensure_tools():
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    python = os.path.join(VENV, "bin", "python")
    ready = os.path.exists(python) and subprocess.run([python, "-c", "import fastapi, uvicorn, uvloop, httptools, numpy"],
                                                      stderr=subprocess.DEVNULL).returncode == 0
    if not ready:
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q"] + PACKAGES, check=True)


def wrk(url, connections, seconds, script):
    out = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, pct(50), pct(99), int(errors.group(1)) if errors else 0


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


PACE_MS = 10  # mean think time of each connection under the paced load

# Each wrk thread (its own Lua state) draws its own random think times.
PACING = """
function setup(thread)
  thread:set("seed", math.random(1, 2147483647))
end
function init(args)
  math.randomseed(seed)
end
function delay()
  return -math.log(1 - math.random()) * %d
end
""" % PACE_MS


def paced_script(script):
    """`script` with random think times between each connection's requests."""
    with open(script) as f:
        body = f.read()
    pacing = script + ".paced.lua"
    with open(pacing, "w") as f:
        f.write(body + PACING)
    return pacing


def paced_connections(rate):
    """Connections that, each pausing PACE_MS on average, offer about `rate` req/s."""
    return max(1, round(rate * PACE_MS / 1000))


def write_servers(d, name, code, extra, workers):
    """The handler as a splitbook notebook and as a FastAPI app; returns both commands and their directories."""
    nb_dir = os.path.join(d, name, "notebooks")
    os.makedirs(nb_dir)
    indented = "".join("      " + line + "\n" for line in (code + extra).splitlines())
    with open(os.path.join(nb_dir, "bench.yaml"), "w") as f:
        f.write("cells:\n  - id: handle\n    stage: online\n    lang: python\n    sample: {\"x\": " + X16 + "}\n"
                "    code: |\n" + indented)
    app_dir = os.path.join(d, name, "fastapi")
    os.makedirs(app_dir)
    with open(os.path.join(app_dir, "app.py"), "w") as f:
        f.write(code + "\nfrom fastapi import FastAPI, Request\napp = FastAPI()\n\n"
                "@app.post('/v1/handle')\nasync def endpoint(request: Request):\n    return handle(await request.json())\n")
    return os.path.join(d, name), app_dir


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(HANDLERS))
    parser.add_argument("--bin")
    args = parser.parse_args()
    ensure_tools()
    binary = os.path.abspath(args.bin) if args.bin else run.build()  # the same release build as bench/run.py
    env = dict(os.environ, PATH=os.path.join(VENV, "bin") + ":" + os.environ["PATH"])
    print(f"workers: {args.workers}, wrk -t2 -c64, {args.rounds} alternated rounds of {args.seconds} s, medians")
    with tempfile.TemporaryDirectory() as d:
        for name in args.only.split(","):
            code, extra, body = HANDLERS[name]
            script = os.path.join(d, name + ".lua")
            with open(script, "w") as f:
                f.write(f'wrk.method = "POST"\nwrk.body = \'{body}\'\nwrk.headers["Content-Type"] = "application/json"\n')
            sb_dir, app_dir = write_servers(d, name, code, extra, args.workers)
            sb_port, fa_port = free_port(), free_port()
            sb = subprocess.Popen([binary, "serve", "notebooks/bench.yaml", "--port", str(sb_port), "--workers", str(args.workers)],
                                  cwd=sb_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # uvloop and httptools named, so a venv without them fails instead of measuring the slow fallback.
            fa = subprocess.Popen([os.path.join(VENV, "bin", "uvicorn"), "app:app", "--port", str(fa_port), "--workers",
                                   str(args.workers), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"],
                                  cwd=app_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_ready(f"http://127.0.0.1:{sb_port}/readyz", sb)
                wait_ready(f"http://127.0.0.1:{fa_port}/docs", fa)
                urls = {"splitbook": f"http://127.0.0.1:{sb_port}/v1/handle", "fastapi": f"http://127.0.0.1:{fa_port}/v1/handle"}
                maxima = {"splitbook": [], "fastapi": []}
                for _ in range(args.rounds):
                    for server in ("splitbook", "fastapi"):
                        rps, _, _, errors = wrk(urls[server], 64, args.seconds, script)
                        if errors:
                            sys.exit(f"{server} answered {errors} requests with an error status ({name})")
                        maxima[server].append(rps)
                print(f"\nhandler: {name}")
                for server in ("splitbook", "fastapi"):
                    runs = " ".join(f"{r:.0f}" for r in maxima[server])
                    print(f"  {server:<10} max {statistics.median(maxima[server]):9.0f} req/s ({runs})")
                half = statistics.median(maxima["fastapi"]) / 2
                connections, pacing = paced_connections(half), paced_script(script)
                halves = {"splitbook": [], "fastapi": []}
                for _ in range(args.rounds):
                    for server in ("splitbook", "fastapi"):
                        halves[server].append(wrk(urls[server], connections, max(3, args.seconds // 2), pacing))
                row = {server: [statistics.median(r[i] for r in runs) for i in range(3)] for server, runs in halves.items()}
                print(f"  at half load (~{half:.0f} req/s offered: {connections} conns, random think time of mean {PACE_MS} ms; "
                      f"medians of {args.rounds}): "
                      + "   ".join(f"{server} {r[0]:.0f} req/s, p50 {r[1]:.2f} ms, p99 {r[2]:.2f} ms" for server, r in row.items()), flush=True)
                print("    p99 by round: " + "   ".join(f"{server} " + " ".join(f"{r[2]:.2f}" for r in runs)
                                                     for server, runs in halves.items()))
                for c in (1, 8):  # the same offered concurrency for both: latency at equal footing
                    same = {server: wrk(urls[server], c, max(3, args.seconds // 2), script) for server in ("splitbook", "fastapi")}
                    print(f"  at {c} conns: " + "   ".join(f"{server} {r[0]:.0f} req/s, p50 {r[1]:.2f} ms, p99 {r[2]:.2f} ms"
                                                         for server, r in same.items()), flush=True)
                ratio = statistics.median(maxima["splitbook"]) / statistics.median(maxima["fastapi"])
                print(f"  ratio splitbook/fastapi: {ratio:.2f}x   p99 at half load: {row['splitbook'][2]:.2f} ms vs "
                      f"{row['fastapi'][2]:.2f} ms   splitbook server memory (without workers): {rss_mb(sb.pid):.1f} MB")
            finally:
                for p in (sb, fa):
                    p.send_signal(signal.SIGTERM)
                    p.wait(timeout=30)


if __name__ == "__main__":
    main()
