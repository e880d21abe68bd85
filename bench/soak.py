#!/usr/bin/env python3
"""Soak test of `splitbook serve`: a mix of good and bad requests against
Python and sh endpoints, on 127.0.0.1 only, for a bounded time.

    python3 bench/soak.py [--requests 1000000] [--max-seconds 1200] [--workers 2] [--bin PATH]

Each kind of request runs in its own wrk process (all at once, against the
same server), so every response is attributed to its kind without relying on
the server: valid (Python and sh), malformed JSON, oversized body, failing
its request_schema, raising, crashing its worker, slower than its cell's
timeout, an sh cell answering garbage, an unknown endpoint and a wrong
method. Crashing and slow requests go to endpoints of their own, because a
worker that dies or is replaced takes the requests in flight on it along.

It runs in rounds of 30 s until `--requests` responses have come back (or
`--max-seconds` have passed), and reports the responses of each kind by status (and how many were not what
that kind must get), socket errors, worker restarts (from /metrics), and the
server's resident memory, open descriptors and child processes after the
warm-up and at the end. Exits 1 when any response was wrong or memory or
descriptors grew by more than 10%. Needs wrk (installed from Debian when
missing, as bench/serve.py does).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  bench/run.py: the release build

NOTEBOOK = """\
cells:
  - id: echo
    stage: online
    lang: python
    timeout: 2
    code: |
      def handle(request):
          if request.get("raise"):
              raise ValueError("asked to raise")
          return request
    sample: {"x": 1}
  - id: typed
    stage: online
    lang: python
    request_schema: {type: object, required: [n], properties: {n: {type: integer}}}
    code: |
      def handle(request):
          return {"n": request["n"] + 1}
    sample: {"n": 1}
  - id: crashy
    stage: online
    lang: python
    code: |
      import os
      def handle(request):
          if request.get("crash"):
              os._exit(3)
          return request
    sample: {"x": 1}
  - id: slow
    stage: online
    lang: python
    timeout: 0.3
    code: |
      import time
      def handle(request):
          time.sleep(request.get("sleep", 0))
          return request
    sample: {"sleep": 0}
  - id: shecho
    stage: online
    code: cat
    sample: {"x": 1}
  - id: shbad
    stage: online
    code: |
      cat > /dev/null
      echo 'not json'
"""

MAX_BODY = 4096

# name, method, path, body, the statuses it may get, wrk connections
KINDS = [
    ("valid", "POST", "/v1/echo", '{"x": 1}', {200}, 8),
    ("valid_sh", "POST", "/v1/shecho", '{"x": 1}', {200}, 2),
    ("malformed", "POST", "/v1/echo", '{"x": ', {400}, 2),
    ("oversized", "POST", "/v1/echo", '{"x": "' + "a" * (2 * MAX_BODY) + '"}', {413}, 1),
    ("schema", "POST", "/v1/typed", '{"n": "one"}', {422}, 2),
    ("raising", "POST", "/v1/echo", '{"raise": true}', {500}, 2),
    # A crash fails the request (500); while the worker restarts, the next may find no lane (503).
    ("crash", "POST", "/v1/crashy", '{"crash": true}', {500, 503}, 1),
    ("slow", "POST", "/v1/slow", '{"sleep": 1}', {504, 503}, 1),
    ("garbage_sh", "POST", "/v1/shbad", '{"x": 1}', {500}, 1),
    ("unknown", "POST", "/v1/nope", '{"x": 1}', {404}, 1),
    ("wrong_method", "GET", "/v1/echo", None, {405}, 1),
]

LUA = """
wrk.method = {method}
wrk.path = {path}
{body}
wrk.headers["Content-Type"] = "application/json"
counts = {{}}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {{}}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("counts")) do total[status] = (total[status] or 0) + n end
  end
  local parts = {{}}
  for status, n in pairs(total) do table.insert(parts, string.format('"%d": %d', status, n)) end
  local e = summary.errors
  io.write(string.format('SOAK {{"statuses": {{%s}}, "socket_errors": %d}}\\n', table.concat(parts, ", "),
    e.connect + e.read + e.write + e.timeout))
end
"""


ROUND_SECONDS = 30


def soak_round(d, base, seconds):
    """One wrk process per kind, all at once for `seconds`: each kind's responses by status."""
    procs = []
    for name, method, path, body, _, connections in KINDS:
        script = os.path.join(d, name + ".lua")
        with open(script, "w") as f:
            f.write(LUA.format(method=lua_string(method), path=lua_string(path),
                               body=f"wrk.body = {lua_string(body)}" if body else ""))
        procs.append(subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, base],
                                      stdout=subprocess.PIPE, text=True))
    results = {}
    for (name, *_), p in zip(KINDS, procs):
        out = p.communicate()[0]
        line = next((l for l in out.splitlines() if l.startswith("SOAK ")), None)
        if line is None:
            sys.exit(f"wrk for {name} printed no summary:\n{out}")
        results[name] = json.loads(line[5:])
    return results


def lua_string(text):
    return json.dumps(text)  # a JSON string is a valid Lua string literal for this ASCII text


def process_stats(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) * 1024
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    children = sum(1 for p in os.listdir("/proc") if p.isdigit() and parent_of(p) == pid)
    return rss, fds, children


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def restarts(base):
    total = 0
    for line in get(base + "/metrics").splitlines():
        if line.startswith("splitbook_worker_restarts_total"):
            total += int(float(line.split()[-1]))
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--max-seconds", type=int, default=1200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument("--bin")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    binary = os.path.abspath(args.bin) if args.bin else run.build()
    base = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory(prefix="sb-soak-") as d:
        os.makedirs(os.path.join(d, "notebooks"))
        with open(os.path.join(d, "notebooks", "soak.yaml"), "w") as f:
            f.write(NOTEBOOK)
        log = open(os.path.join(d, "serve.log"), "w")
        server = subprocess.Popen([binary, "serve", "notebooks/soak.yaml", "--host", "127.0.0.1", "--port", str(args.port),
                                   "--workers", str(args.workers), "--max-body", str(MAX_BODY)], cwd=d, stdout=log, stderr=log)
        try:
            for _ in range(600):
                try:
                    get(base + "/readyz")
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                sys.exit("the server did not become ready:\n" + open(os.path.join(d, "serve.log")).read())
            for _ in range(200):  # warm-up: every endpoint once, then a moment of valid traffic
                for path in ("/v1/echo", "/v1/typed", "/v1/crashy", "/v1/shecho"):
                    req = urllib.request.Request(base + path, data=b'{"x": 1, "n": 1}', headers={"Content-Type": "application/json"})
                    urllib.request.urlopen(req, timeout=5).read()
            start_stats = process_stats(server.pid)
            start_restarts = restarts(base)
            results = {name: {"statuses": {}, "socket_errors": 0} for name, *_ in KINDS}
            began, total, rounds = time.monotonic(), 0, []
            while total < args.requests and time.monotonic() - began < args.max_seconds:
                for name, r in soak_round(d, base, ROUND_SECONDS).items():
                    for status, n in r["statuses"].items():
                        results[name]["statuses"][status] = results[name]["statuses"].get(status, 0) + n
                    results[name]["socket_errors"] += r["socket_errors"]
                total = sum(sum(r["statuses"].values()) for r in results.values())
                rounds.append(process_stats(server.pid))
                print(f"  round {len(rounds)}: {total} responses; server RSS {rounds[-1][0] / 2**20:.1f} MiB, "
                      f"{rounds[-1][1]} descriptors", flush=True)
            time.sleep(1)  # let restarts settle before the final count
            end_stats = process_stats(server.pid)
            end_restarts = restarts(base)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        alive = server.returncode == 0

    total = wrong = errors = 0
    print(f"\n{len(rounds)} rounds of {ROUND_SECONDS} s, {args.workers} workers per endpoint, every kind at once\n")
    print(f"{'kind':<14}{'requests':>10}{'wrong':>8}{'socket err':>12}  statuses")
    for name, _, _, _, allowed, _ in KINDS:
        r = results[name]
        statuses = {int(k): v for k, v in r["statuses"].items()}
        n = sum(statuses.values())
        bad = sum(v for k, v in statuses.items() if k not in allowed)
        total, wrong, errors = total + n, wrong + bad, errors + r["socket_errors"]
        print(f"{name:<14}{n:>10}{bad:>8}{r['socket_errors']:>12}  " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    (rss0, fd0, ch0), (rss1, fd1, ch1) = start_stats, end_stats
    print(f"\ntotal {total} requests, {wrong} with a wrong status, {errors} socket errors")
    print(f"worker restarts: {end_restarts - start_restarts}")
    print(f"server RSS: {rss0 / 2**20:.1f} MiB -> {rss1 / 2**20:.1f} MiB ({(rss1 / rss0 - 1) * 100:+.1f}%)")
    print(f"open descriptors: {fd0} -> {fd1}; child processes: {ch0} -> {ch1}")
    print(f"server exited cleanly on SIGTERM: {alive}")
    flat = rss1 <= rss0 * 1.10 and fd1 <= fd0 * 1.10
    ok = wrong == 0 and flat and alive
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
