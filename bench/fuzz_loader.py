#!/usr/bin/env python3
"""Fuzzes the notebook loader through the real binary: `splitbook check FILE...`.

Seeds are the teaching notebooks (notebooks/*.yaml) and the test fixtures
(Tests/Fixtures/**/*.yaml). Each fuzzed notebook is a seed with one to four
mutations: flipped bytes, YAML-significant tokens, duplicated or dropped
lines, deep nesting, aliases, invalid UTF-8, values around the 1 MiB limit,
files around the 8 MiB limit, documents around the 200,000-node budget,
NEL/LS/PS and control characters, other line endings, truncation. Everything
follows from --seed, so a run is repeatable.

Notebooks are checked many per invocation; an invocation that crashes, hangs
or prints an error the batch cannot attribute is bisected down to the
notebooks responsible. A failure is:

  crash  death by a signal, or an exit status other than 0, 1 or 2;
  hang   an invocation that outlives --timeout;
  error without a location
         an `error:` line on stderr not of the form `path:line:col: error:`
         (source excerpts, carets and note snippets are not such lines);
  misplaced
         a located error whose line:col, counted as an editor does, is not in
         the file, or is not at what the error names (an unknown key, a byte
         that is not UTF-8, a control character).

Prints one line, e.g.
  fuzz_loader: 100000 notebooks, 0 crashes, 0 hangs, 0 errors without a location, 0 misplaced, peak RSS 41 MiB
and exits 1 if anything failed, after copying each offending notebook (with
what the binary printed) into a directory the line names.

  python3 bench/fuzz_loader.py --count 100000
  python3 bench/fuzz_loader.py --binary .build-bench/release/splitbook --seconds 600 --jobs 2
"""

import argparse
import concurrent.futures
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
FILE_LIMIT = 8 * MIB  # SourceText.maxBytes
VALUE_LIMIT = 1 * MIB  # YAMLReader.maxScalarBytes

TOKENS = [b": ", b":", b"- ", b"-", b"? ", b"[", b"]", b"{", b"}", b",", b"&a ", b"*a", b"&b ", b"*b", b"*undefined",
          b"!!str ", b"!!int ", b"!!float ", b"!!bool ", b"!!null ", b"!!binary ", b"!local ", b"!<tag:x> ", b"!",
          b"|", b"|-", b"|+", b"|2", b">", b">-", b"\"", b"'", b"#", b" #", b"---\n", b"...\n", b"%YAML 1.2\n",
          b"%TAG ! tag:example.com,2000:\n", b"\t", b"  ", b"\n", b"\r", b"\r\n", b"<<: ", b"@", b"`", b"%", b"\\",
          b"\\u2028", b"\\N", b"\\L", b"\\P", b"\\x85", b"\\uE000", b"\\U0010FFFD", b"~", b"null", b"true", b"yes",
          b"0x1F", b"0o17", b".inf", b"-.nan", b"1e400", b"99999999999999999999", b"id: ", b"code: ", b"cells: ",
          b"stage: online", b"needs: [", b"inputs: [", b"outputs: [", b"publish: {", b"uses: [", b"sample: ",
          b"params: ", b"env: ", b"file: ", b"../", b"/abs", b"markdown: "]

INVALID_UTF8 = [b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xc3", b"\xc3(", b"\xe2\x82",
                b"\xe2\x28\xa1", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf0\x9f\x98", b"\xf4\x90\x80\x80",
                b"\xf8\x88\x80\x80\x80", b"\xef\xbf\xbe"]

UNICODE = ["\u0085", "\u2028", "\u2029", "\ufeff", "\u00e9", "e\u0301", "\u00a0", "\u3000", "\u4e2d\u6587",
           "\U0001F600", "\u200d", "\u202e", "\ue000", "\U000F0000", "\ufffd", "\ufdd0"]

CONTROLS = [b"\x00", b"\x01", b"\x07", b"\x08", b"\x0b", b"\x0c", b"\x1b", b"\x7f", "\u0085".encode(), b"\xc2\x80"]

LINE = re.compile(rb"[^\n]*\n?")


def lines(data):
    return [m.group(0) for m in LINE.finditer(data) if m.group(0)]


def position(rng, data):
    return rng.randint(0, len(data))


def line_start(rng, data):
    starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]
    return rng.choice(starts)


# Mutations: each takes (rng, data, seeds) and returns new bytes.

def flip_bits(rng, data, seeds):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def set_bytes(rng, data, seeds):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if data:
            data[rng.randrange(len(data))] = rng.choice(b"\x00\n\r\t :-[]{}#&*!|>'\"\\%@`\x7f\x80\xc2\xe2\xff")
    return bytes(data)


def insert_token(rng, data, seeds):
    at = line_start(rng, data) if rng.random() < 0.3 else position(rng, data)
    return data[:at] + rng.choice(TOKENS) + data[at:]


def delete_range(rng, data, seeds):
    at = position(rng, data)
    return data[:at] + data[at + rng.randint(1, 64):]


def duplicate_lines(rng, data, seeds):
    ls = lines(data)
    if not ls:
        return data
    i = rng.randrange(len(ls))
    chunk = ls[i:i + rng.randint(1, 12)]
    times = rng.choice([1, 1, 2, 10, 100]) if sum(map(len, chunk)) < 64 * 1024 else 1
    at = rng.randint(0, len(ls))
    return b"".join(ls[:at] + chunk * times + ls[at:])


def drop_or_swap_lines(rng, data, seeds):
    ls = lines(data)
    if len(ls) < 2:
        return data
    i, j = rng.randrange(len(ls)), rng.randrange(len(ls))
    if rng.random() < 0.5:
        del ls[i]
    else:
        ls[i], ls[j] = ls[j], ls[i]
    return b"".join(ls)


def reindent(rng, data, seeds):
    ls = lines(data)
    if not ls:
        return data
    i = rng.randrange(len(ls))
    body = ls[i].lstrip(b" \t")
    ls[i] = rng.choice([b"", b" ", b"  ", b"   ", b"\t", b" \t", b"      "]) + body
    return b"".join(ls)


def deep_nesting(rng, data, seeds):
    depth = rng.choice([5, 127, 128, 129, 200, 1000, 10000])
    style = rng.randrange(3)
    if style == 0:
        nest = b"[" * depth + b"1" + b"]" * rng.choice([depth, depth, depth - 1])
    elif style == 1:
        nest = b"{a: " * depth + b"1" + b"}" * depth
    else:
        levels = min(depth, 300)  # indentation grows with depth: keep the file small
        nest = b"\n" + b"".join(b" " * (i + 1) + b"k:\n" for i in range(levels)) + b" " * (levels + 1) + b"v\n"
    at = position(rng, data)
    return data[:at] + nest + data[at:]


def aliases(rng, data, seeds):
    kind = rng.randrange(4)
    if kind == 0:  # a "billion laughs", sometimes under the budget
        width, levels = rng.choice([(9, 9), (10, 7), (2, 19), (3, 12)])
        text = b"a0: &a0 [lol, lol]\n" + b"".join(
            b"a%d: &a%d [%s]\n" % (i, i, b", ".join([b"*a%d" % (i - 1)] * width)) for i in range(1, levels))
        text += b"params: {p: *a%d}\n" % (levels - 1)
    elif kind == 1:
        text = b"x: &r [*r]\n"  # an alias to an anchor still open
    elif kind == 2:
        text = b"params:\n  shared: &s {lr: 0.1}\n  copy: *s\n  again: *s\n"
    else:
        text = b"*a : &a b\n"
    at = line_start(rng, data)
    return data[:at] + text + data[at:]


def invalid_utf8(rng, data, seeds):
    at = position(rng, data)
    return data[:at] + rng.choice(INVALID_UTF8) + data[at:]


def unicode_text(rng, data, seeds):
    at = position(rng, data)
    text = "".join(rng.choice(UNICODE) for _ in range(rng.randint(1, 4)))
    return data[:at] + text.encode("utf-8") + data[at:]


def separators_then_error(rng, data, seeds):
    """NEL/LS/PS inside values and blocks, then a line that is an error."""
    sep = rng.choice(["\u0085", "\u2028", "\u2029"]).encode()
    ls = lines(data)
    for _ in range(rng.randint(1, 5)):
        if ls:
            i = rng.randrange(len(ls))
            cut = rng.randint(0, len(ls[i].rstrip(b"\r\n")))
            ls[i] = ls[i][:cut] + sep + ls[i][cut:]
    ls.insert(rng.randint(0, len(ls)), b"ouputs: [x]\n")
    return b"".join(ls)


def control_chars(rng, data, seeds):
    at = position(rng, data)
    return data[:at] + rng.choice(CONTROLS) + data[at:]


def line_endings(rng, data, seeds):
    ending = rng.choice([b"\r\n", b"\r", b"\n\r"])
    if rng.random() < 0.5:
        return data.replace(b"\n", ending)
    ls = lines(data)
    return b"".join(l[:-1] + rng.choice([b"\n", b"\r\n", b"\r"]) if l.endswith(b"\n") else l for l in ls)


def truncate(rng, data, seeds):
    return data[:position(rng, data)]


def splice(rng, data, seeds):
    other = rng.choice(seeds)
    a, b = sorted((position(rng, other), position(rng, other)))
    at = position(rng, data)
    return data[:at] + other[a:b] + data[at:]


def byte_order_mark(rng, data, seeds):
    at = 0 if rng.random() < 0.7 else position(rng, data)
    return data[:at] + b"\xef\xbb\xbf" + data[at:]


def long_line(rng, data, seeds):
    item = rng.choice([b"1, ", b"a: b, ", b"\"x\", ", b"\t"])
    text = b"params: {p: [" + item * rng.choice([100, 5000, 50000]) + b"]}\n"
    at = line_start(rng, data)
    return data[:at] + text + data[at:]


def huge_value(rng, data, seeds):
    size = rng.choice([VALUE_LIMIT - 1, VALUE_LIMIT, VALUE_LIMIT + 1, 2 * VALUE_LIMIT, 7 * MIB])
    style = rng.randrange(4)
    if style == 0:
        text = b"title: \"" + b"x" * size + b"\"\n"
    elif style == 1:
        text = b"title: " + b"y" * size + b"\n"
    elif style == 2:
        text = b"description: |\n" + (b"  " + b"z" * 1000 + b"\n") * (size // 1001)
    else:
        text = b"title: \"" + b"\\L" * (size // 3) + b"\"\n"  # two bytes of escape, three of value
    at = line_start(rng, data)
    return data[:at] + text + data[at:]


def many_nodes(rng, data, seeds):
    """Around the 200,000-node budget: small values written out, cells, or aliases multiplying them."""
    n = rng.choice([199_990, 200_000, 200_010])
    kind = rng.randrange(3)
    if kind == 0:
        text = b"params: {p: [" + rng.choice([b"1, ", b".nan, ", b"x, "]) * n + b"]}\n"
    elif kind == 1:
        text = b"cells:\n" + b"".join(b"  - {id: c%d, cod: x}\n" % i for i in range(n // 5))
    else:
        text = b"x: &l [" + b"q, " * (n // 11) + b"]\ncells:\n" + b"".join(
            b"  - {id: c%d, code: x, inputs: *l}\n" % i for i in range(11))
    at = line_start(rng, data)
    return data[:at] + text + data[at:]


def around_file_limit(rng, data, seeds):
    target = FILE_LIMIT + rng.choice([-1, 0, 1, 4096])
    pad = b"#" + b"p" * 100 + b"\n"
    out = data + pad * max(0, (target - len(data)) // len(pad))
    return out + b"#" * max(0, target - len(out)) if len(out) < target else out[:target]


MUTATIONS = [  # (weight, mutation)
    (12, flip_bits), (8, set_bytes), (16, insert_token), (6, delete_range), (8, duplicate_lines),
    (6, drop_or_swap_lines), (6, reindent), (3, deep_nesting), (4, aliases), (5, invalid_utf8),
    (5, unicode_text), (5, separators_then_error), (4, control_chars), (3, line_endings), (3, truncate),
    (4, splice), (1, byte_order_mark), (1, long_line), (0.05, huge_value), (0.02, many_nodes),
    (0.01, around_file_limit),
]


def mutate(rng, seeds):
    data = rng.choice(seeds)
    for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
        data = rng.choices([m for _, m in MUTATIONS], weights=[w for w, _ in MUTATIONS])[0](rng, data, seeds)
        if len(data) > 2 * FILE_LIMIT:  # past the limit only the first bytes are read: write no more than that
            data = data[:FILE_LIMIT + rng.randint(1, 4096)]
    return data


# Judging what the binary printed.

CARET = re.compile(rb"^[ \t]*\^~*$")
LOCATED = re.compile(rb"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<label>error|warning|note): (?P<message>.*)$")
UNLOCATED_PATH = re.compile(rb"^(?P<path>.+?): (?:error|warning|note): ")
ERROR = re.compile(rb"(?i)(^|: )error:")
BREAK = re.compile(rb"\r\n|\r|\n")
UNKNOWN_KEY = re.compile(rb"^unknown key '([A-Za-z0-9_-]+)'")
BAD_BYTE = re.compile(rb"^the notebook is not UTF-8 text: byte 0x([0-9A-F]{2}) ")
CONTROL = re.compile(rb"control characters are not allowed \(found U\+([0-9A-F]{4,6})\)")


def offset_of(data, line, column):
    """The byte offset of an editor's line:column (lines end at \\n, \\r\\n or \\r; columns count
    scalars after a leading BOM), or None when the file has no such place. The end of a line counts."""
    i = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    for _ in range(line - 1):
        found = BREAK.search(data, i)
        if not found:
            return None
        i = found.end()
    found = BREAK.search(data, i)
    end = found.start() if found else len(data)
    for _ in range(column - 1):
        if i >= end:
            return None
        lead = data[i]  # the bytes before a reported place are valid UTF-8
        i += 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return min(i, end)


def misplaced(data, line, column, message):
    """Whether a located error cannot be pointing where it should. Errors that name what is at
    their place (an unknown key, a bad byte, a control character) must point at it; others
    must point inside the file."""
    at = offset_of(data, line, column)
    if at is None:
        return True
    key = UNKNOWN_KEY.match(message)
    if key:  # on this line, here or after a tag, an anchor or a quote
        found = BREAK.search(data, at)
        return data.find(key.group(1), at, found.start() if found else len(data)) < 0
    bad = BAD_BYTE.match(message)
    if bad:
        try:
            data.decode("utf-8")
            return True
        except UnicodeDecodeError as e:
            return at != e.start or data[at] != int(bad.group(1), 16)
    control = CONTROL.search(message)
    if control:
        return data[at:at + 4].decode("utf-8", "ignore")[:1] != chr(int(control.group(1), 16))
    return False


def problems(stderr, notebooks):
    """The unlocated and misplaced `error:` lines of stderr: (path it names or None, kind, line).

    Lines followed by a caret line are source excerpts; caret lines, notes and the
    four-space-indented lines under notes are not errors either."""
    out = []
    rows = stderr.split(b"\n")
    for i, row in enumerate(rows):
        if CARET.match(row) or row.startswith((b"    ", b"note: ")) or (i + 1 < len(rows) and CARET.match(rows[i + 1])):
            continue
        located = LOCATED.match(row)
        if located and located.group("path") in notebooks:
            if located.group("label") == b"error" and misplaced(notebooks[located.group("path")], int(located.group("line")),
                                                                int(located.group("column")), located.group("message")):
                out.append((located.group("path"), "misplaced", row))
            continue
        if ERROR.search(row):
            named = UNLOCATED_PATH.match(row)
            out.append((named.group("path") if named and named.group("path") in notebooks else None, "unlocated", row))
    return out


class Checker:
    def __init__(self, binary, timeout, workdir):
        self.binary, self.timeout, self.workdir = binary, timeout, workdir

    def run(self, names):
        """Runs check on the named files: ("crash"|"hang"|None, stderr, status)."""
        try:
            done = subprocess.run([self.binary, "check", *names], cwd=self.workdir, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=self.timeout)
        except subprocess.TimeoutExpired as e:
            return "hang", e.stderr or b"", None
        if done.returncode not in (0, 1, 2):
            return "crash", done.stderr, done.returncode
        return None, done.stderr, done.returncode

    def failures(self, names, notebooks):
        """[(name, kind, detail)] for the notebooks among `names` that fail, bisecting when needed."""
        kind, stderr, status = self.run(names)
        found = problems(stderr, {n.encode(): notebooks[n] for n in names})
        if kind is None and all(path is not None for path, _, _ in found):
            return [(path.decode(), k, row + b"\n") for path, k, row in found]
        if len(names) == 1:
            detail = f"{kind}: exit status {status}\n" if kind else "an error no notebook names\n"
            return [(names[0], kind or "unlocated", detail.encode() + stderr[-4000:])]
        half = len(names) // 2
        split = self.failures(names[:half], notebooks) + self.failures(names[half:], notebooks)
        if not split:  # fails only together: keep the whole batch
            return [(n, kind or "unlocated", b"fails only in this batch: " + " ".join(names).encode()) for n in names]
        return split


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=str(ROOT / ".build/debug/splitbook"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=1000, help="notebooks to check (default 1000)")
    parser.add_argument("--seconds", type=float, default=None, help="stop starting batches after this long")
    parser.add_argument("--batch", type=int, default=100, help="notebooks per invocation")
    parser.add_argument("--timeout", type=float, default=60, help="seconds one invocation may take")
    parser.add_argument("--jobs", type=int, default=1, help="invocations at once")
    parser.add_argument("--out", default=None, help="where offending notebooks go (default: a new temp directory)")
    args = parser.parse_args()

    seeds = sorted({p for p in (ROOT / "notebooks").glob("*.yaml")} | set((ROOT / "Tests/Fixtures").rglob("*.yaml")))
    seeds = [p.read_bytes() for p in seeds]
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="fuzz_loader-"))
    checker = Checker(os.path.abspath(args.binary), args.timeout, work)
    started = time.monotonic()
    checked = 0
    failures = []
    notebooks = {}  # name -> bytes, for the batches in flight

    def batches():
        nonlocal checked
        index = 0
        while index < args.count and (args.seconds is None or time.monotonic() - started < args.seconds):
            names, size = [], 0
            while index < args.count and len(names) < args.batch and size < 64 * MIB:
                data = mutate(rng, seeds)
                name = f"n{index:07d}.yaml"
                (work / name).write_bytes(data)
                notebooks[name] = data
                names.append(name)
                size += len(data)
                index += 1
            checked += len(names)
            yield names

    def finish(names, found):
        failures.extend((name, kind, detail, notebooks[name]) for name, kind, detail in found)
        for name in names:
            (work / name).unlink()
            del notebooks[name]

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        pending = {}
        for names in batches():
            pending[pool.submit(checker.failures, names, notebooks)] = names
            while len(pending) >= args.jobs * 2:
                done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    finish(pending.pop(future), future.result())
        for future in concurrent.futures.as_completed(pending):
            finish(pending[future], future.result())
    shutil.rmtree(work, ignore_errors=True)

    counts = {kind: len({name for name, k, _, _ in failures if k == kind}) for kind in ("crash", "hang", "unlocated", "misplaced")}
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024  # KiB on Linux
    line = (f"fuzz_loader: {checked} notebooks, {counts['crash']} crashes, {counts['hang']} hangs, "
            f"{counts['unlocated']} errors without a location, {counts['misplaced']} misplaced, peak RSS {peak} MiB")
    if failures:
        out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="fuzz_loader-failures-"))
        out.mkdir(parents=True, exist_ok=True)
        for name, kind, detail, data in failures:
            (out / f"{kind}-{name}").write_bytes(data)
            with open(out / f"{kind}-{name}.txt", "ab") as f:
                f.write(detail)
        line += f"; offending notebooks in {out}"
    print(line)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
