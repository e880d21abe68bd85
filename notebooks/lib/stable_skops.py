"""Byte-reproducible skops files (offline cells of the churn and RAG notebooks).

skops (https://skops.readthedocs.io) stores a fitted scikit-learn object as a
zip of JSON (the object tree) and .npy files (the arrays). Unlike pickle,
loading it builds only types the loader trusts, so opening a model file can
not run code hidden in it.

Its files are not byte-reproducible, though: every zip member carries the
time it was written, and array files and object references are named after
Python's id() of the object, a memory address that changes from process to
process. splitbook caches and publishes by content, so the same model must
give the same bytes (or every rerun would publish a "new" version, and the
exported batch job could never be checked against the notebook).
`dumps` therefore rewrites skops's own output canonically: members renamed in
order of first use, ids numbered in order of first use, fixed timestamps,
fixed compression. The result is still an ordinary skops file:
`skops.io.load` reads it, and nothing about the fitted object changes (the
cells that write one load it back and check). One attribute is dropped:
scikit-learn's text vectorisers remember id() of their stop-word list
(`_stop_words_id`) only to notice a changed list, and recompute it when it is
missing.

Offline only: the online cells just call `skops.io.load`.
"""

import io
import json
import zipfile

import skops.io

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_VOLATILE = {"_stop_words_id"}  # attributes whose value is a memory address


def _canonical(schema):
    names, ids = {}, {}

    def walk(node):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key in _VOLATILE:
                    continue
                if key == "__id__" and isinstance(value, int):
                    value = ids.setdefault(value, len(ids) + 1)
                elif key == "file" and isinstance(value, str) and "." in value:
                    value = names.setdefault(value, f"{len(names):04d}.{value.rsplit('.', 1)[1]}")
                else:
                    value = walk(value)
                out[key] = value
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema), names


def dumps(obj):
    """skops bytes of `obj`, identical for identical objects, run after run."""
    raw = zipfile.ZipFile(io.BytesIO(skops.io.dumps(obj)))
    schema, names = _canonical(json.loads(raw.read("schema.json")))
    if set(names) != set(raw.namelist()) - {"schema.json"}:
        raise RuntimeError("unexpected skops layout: " + ", ".join(sorted(raw.namelist())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        members = sorted((new, raw.read(old)) for old, new in names.items())
        members.append(("schema.json", json.dumps(schema, indent=2).encode("utf-8")))
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=6)
    return out.getvalue()
