#!/usr/bin/env python3
"""Serving benchmark: `splitbook serve` against FastAPI + uvicorn in the same
run, with the same Python handler and the same number of worker processes.

    python3 bench/serve.py [--workers 2] [--seconds 10] [--bin PATH]

Needs wrk (installed from Debian packages when missing) and creates a venv
with FastAPI and `uvicorn[standard]` under .build/bench-venv: uvloop and
httptools, what `pip install "fastapi[standard]"` gives and what FastAPI's
deployment docs run (pure-Python uvicorn is about 3x slower and nobody
deploys it). For each handler (trivial,
and about 1 ms of work) it reports the maximum requests/s (wrk, 64
connections), then p50/p99 latency at roughly half that load (the connection
count whose throughput is closest to half the maximum), and the server's
own resident memory (the splitbook process, without its Python workers).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import run  # bench/run.py: the release build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".build", "bench-venv")

HANDLERS = {
    "trivial": "def handle(request):\n    return {\"ok\": True, \"x\": request.get(\"x\")}\n",
    "1ms": ("import time\n"
            "def handle(request):\n"
            "    end = time.perf_counter() + 0.001\n"
            "    n = 0\n"
            "    while time.perf_counter() < end:\n"
            "        n += 1\n"
            "    return {\"ok\": True, \"x\": request.get(\"x\")}\n"),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
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
    ready = os.path.exists(python) and subprocess.run([python, "-c", "import fastapi, uvicorn, uvloop, httptools"],
                                                      stderr=subprocess.DEVNULL).returncode == 0
    if not ready:
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q", "fastapi==0.115.6", "uvicorn[standard]==0.32.1"],
                       check=True)


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


def measure(name, url, seconds, script):
    rps, p50, p99, errors = wrk(url, 64, seconds, script)
    best = None
    for c in (1, 2, 4, 8, 16, 32):
        r = wrk(url, c, max(3, seconds // 2), script)
        if best is None or abs(r[0] - rps / 2) < abs(best[1][0] - rps / 2):
            best = (c, r)
    c, (hrps, hp50, hp99, herr) = best
    print(f"  {name:<22} max {rps:9.0f} req/s (p50 {p50:.2f} ms, p99 {p99:.2f} ms, {errors} errors)   "
          f"at ~half load ({c} conns, {hrps:.0f} req/s): p50 {hp50:.2f} ms, p99 {hp99:.2f} ms", flush=True)
    return rps, hp99


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--bin")
    args = parser.parse_args()
    ensure_tools()
    binary = args.bin
    if not binary:
        binary = run.build()  # the same release build as bench/run.py
    print(f"workers: {args.workers}, wrk -t2, {args.seconds} s per max-load run")
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, "post.lua")
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\nwrk.body = \'{"x": 1}\'\nwrk.headers["Content-Type"] = "application/json"\n')
        for name, code in HANDLERS.items():
            nb_dir = os.path.join(d, name, "notebooks")
            os.makedirs(nb_dir)
            indented = "".join("      " + line + "\n" for line in code.splitlines())
            with open(os.path.join(nb_dir, "bench.yaml"), "w") as f:
                f.write("cells:\n  - id: handle\n    stage: online\n    lang: python\n    sample: {\"x\": 1}\n    code: |\n" + indented)
            app_dir = os.path.join(d, name, "fastapi")
            os.makedirs(app_dir)
            with open(os.path.join(app_dir, "app.py"), "w") as f:
                f.write(code + "\nfrom fastapi import FastAPI, Request\napp = FastAPI()\n\n"
                        "@app.post('/v1/handle')\nasync def endpoint(request: Request):\n    return handle(await request.json())\n")
            print(f"\nhandler: {name}")
            port = free_port()
            server = subprocess.Popen([binary, "serve", "notebooks/bench.yaml", "--port", str(port), "--workers", str(args.workers)],
                                      cwd=os.path.join(d, name), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_ready(f"http://127.0.0.1:{port}/readyz")
                sb, sb_p99 = measure("splitbook serve", f"http://127.0.0.1:{port}/v1/handle", args.seconds, script)
                memory = rss_mb(server.pid)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
            port = free_port()
            # uvloop and httptools named, so a venv without them fails instead of measuring the slow fallback.
            uv = subprocess.Popen([os.path.join(VENV, "bin", "uvicorn"), "app:app", "--port", str(port), "--workers",
                                   str(args.workers), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"], cwd=app_dir,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_ready(f"http://127.0.0.1:{port}/docs")
                fa, _ = measure("fastapi + uvicorn[std]", f"http://127.0.0.1:{port}/v1/handle", args.seconds, script)
            finally:
                uv.send_signal(signal.SIGTERM)
                uv.wait(timeout=30)
            print(f"  ratio splitbook/fastapi: {sb / fa:.2f}x   splitbook p99 at half load: {sb_p99:.2f} ms   "
                  f"splitbook server memory (without workers): {memory:.1f} MB")


if __name__ == "__main__":
    main()
