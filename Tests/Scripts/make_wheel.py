"""Builds a tiny pure-Python wheel without any build backend (tests run offline).

usage: make_wheel.py OUTDIR NAME VERSION [MODULE=SOURCE ...] [--requires REQ ...]

Each MODULE=SOURCE becomes MODULE.py with SOURCE as its text; without any, the
wheel holds NAME (dashes as underscores).py defining VERSION. Prints the wheel's path.
"""
import base64, hashlib, sys, zipfile

def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"

def main(argv):
    out, name, version, rest = argv[0], argv[1], argv[2], argv[3:]
    requires = []
    modules = {}
    while rest:
        item = rest.pop(0)
        if item == "--requires":
            requires.append(rest.pop(0))
        else:
            module, _, source = item.partition("=")
            modules[module] = source
    dist = name.replace("-", "_")
    if not modules:
        modules[dist] = f"VERSION = {version!r}\n"
    files = {f"{m}.py": s.encode() for m, s in modules.items()}
    info = f"{dist}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: splitbook-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/top_level.txt"] = "".join(m + "\n" for m in modules).encode()
    record = "\n".join(record_line(p, d) for p, d in files.items()) + f"\n{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = record.encode()
    path = f"{out}/{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files.items():
            z.writestr(zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0)), d)
    print(path)

if __name__ == "__main__":
    main(sys.argv[1:])
