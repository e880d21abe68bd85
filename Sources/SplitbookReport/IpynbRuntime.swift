/// The Python half of the exported notebook's setup cell: hooks that make
/// each splitbook cell run in an IPython kernel as splitbook runs it.
///
/// A `pre_run_cell` hook recognises the cell (by the id JupyterLab sends,
/// else by its source) and prepares a fresh directory under one temporary
/// root: the cell's declared inputs (source files from the notebook's
/// folder, earlier cells' outputs from their directories), `artifacts/`
/// (what earlier cells published, else the workspace registry), params.json,
/// and the environment (`PARAM_*`, `SPLITBOOK_*`, the notebook's and the
/// cell's env). An AST transformer brackets the cell's code with `begin()`,
/// which fails the cell when its world could not be prepared, and
/// `finish()`, which fails it when a declared output is missing, publishes
/// into the scratch registry, shows its display files and metrics, and
/// replays an endpoint's samples through its chain. A `post_run_cell` hook
/// restores the kernel's directory, environment and param variables.
enum IpynbRuntime {
    static let source = #"""
    import ast as _ast
    import atexit as _atexit
    import hashlib as _hashlib
    import importlib as _importlib
    import json as _json
    import os as _os
    import shutil as _shutil
    import sys as _sys
    import tempfile as _tempfile


    class SplitbookCellError(Exception):
        """A cell cannot run as it ran in splitbook (an input or artifact is missing), or did not do what it declared."""


    class _SplitbookCells(object):
        """Runs each splitbook cell of this notebook as splitbook ran it: in a fresh
        directory of its own holding its declared inputs and artifacts/, with
        PARAM_*, SPLITBOOK_* and the notebook's env set; the kernel's directory,
        environment and param variables are restored after it."""

        def __init__(self, plan, helper, shell):
            self.plan, self.shell = plan, shell
            self.cells = {cell["id"]: cell for cell in plan["cells"]}
            self.by_source = {}
            for cell in plan["cells"]:
                self.by_source.setdefault(cell["source_sha256"], []).append(cell["id"])
            self.root = _tempfile.mkdtemp(prefix="splitbook-%s-" % plan["notebook"])
            _atexit.register(_shutil.rmtree, self.root, True)
            self.lib = _os.path.join(self.root, "lib")
            _os.makedirs(self.lib)
            with open(_os.path.join(self.lib, "splitbook.py"), "w") as f:
                f.write(helper)
            _sys.path.insert(0, self.lib)
            self.finished = set()     # cells whose outputs are in their directories
            self.handlers = {}        # online cell id -> its handle()
            self.depth = 0            # nested run_cell calls (a cell magic running another cell)
            self.current = None       # the splitbook cell running now
            self.problem = None       # why it cannot run, raised by begin()
            self.saved = None         # what to restore after it: cwd, env (name -> old value), params, sys.path
            self.transformer = _SplitbookFrame(self)

        # Where things come from ---------------------------------------------------

        def source_dir(self):
            return _os.environ.get("SPLITBOOK_SOURCE_DIR") or self.plan["source_dir"]

        def registry_dir(self):
            return _os.environ.get("SPLITBOOK_REGISTRY") or self.plan["registry"]

        def params(self):
            """The param values the cells see: the variables of the parameters cell (papermill's -p included)."""
            ns = self.shell.user_ns
            return {name: ns.get(variable, value) for name, variable, value in self.plan["params"]}

        # The hooks ------------------------------------------------------------------

        def install(self):
            self.shell.events.register("pre_run_cell", self.pre_run)
            self.shell.events.register("post_run_cell", self.post_run)
            self.shell.ast_transformers.append(self.transformer)

        def uninstall(self):
            self.shell.events.unregister("pre_run_cell", self.pre_run)
            self.shell.events.unregister("post_run_cell", self.post_run)
            self.shell.ast_transformers.remove(self.transformer)
            if self.lib in _sys.path:
                _sys.path.remove(self.lib)
            _shutil.rmtree(self.root, True)

        def identify(self, info):
            """The splitbook cell being run: by its id (JupyterLab sends it), else by its source. A cell
            edited where the front end sends no id (papermill, nbclient, classic Notebook) is no longer
            recognised, and runs as a plain cell in the kernel's directory."""
            cell_id = getattr(info, "cell_id", None)
            if cell_id in self.cells:
                return self.cells[cell_id]
            raw = (getattr(info, "raw_cell", None) or "").rstrip("\n")
            ids = self.by_source.get(_hashlib.sha256(raw.encode("utf-8")).hexdigest(), [])
            fresh = [i for i in ids if i not in self.finished]
            return self.cells[(fresh or ids)[0]] if ids else None

        def pre_run(self, info):
            self.depth += 1
            if self.depth > 1:
                return
            cell = self.identify(info)
            if cell is None:
                return
            self.current, self.problem = cell, None
            self.saved = {"cwd": _os.getcwd(), "env": {}, "params": self.params(), "path": list(_sys.path)}
            try:
                self.enter(cell)
            except Exception as error:  # raised by begin(), inside the cell, so that the cell fails
                self.problem = error

        def post_run(self, result):
            self.depth = max(self.depth - 1, 0)
            if self.depth > 0 or self.current is None:
                return
            saved = self.saved
            _os.chdir(saved["cwd"])
            _sys.path[:] = saved["path"]
            for name, value in saved["env"].items():
                if value is None:
                    _os.environ.pop(name, None)
                else:
                    _os.environ[name] = value
            # A cell may reuse a param's name for its own value; in splitbook that never reached another cell.
            ns = self.shell.user_ns
            for name, variable, _ in self.plan["params"]:
                if variable in ns and ns[variable] is not saved["params"][name]:
                    ns[variable] = saved["params"][name]
            self.current = self.saved = None

        # One cell -------------------------------------------------------------------

        def base(self, cell_id):
            return _os.path.join(self.root, "cells", cell_id)

        def enter(self, cell):
            """A fresh directory for the cell, its environment, its inputs and artifacts (CONTRACT §2)."""
            base = self.base(cell["id"])
            self.finished.discard(cell["id"])
            _shutil.rmtree(base, True)
            work, display = _os.path.join(base, "work"), _os.path.join(base, "display")
            _os.makedirs(work)
            _os.makedirs(display)
            _os.chdir(work)
            visible = cell["params"]
            params = {name: value for name, value in self.saved["params"].items() if visible is None or name in visible}
            with open(_os.path.join(base, "params.json"), "w") as f:
                f.write(_canonical_json(params))
            env = {name: None for name in _os.environ if name.startswith("PARAM_")}
            env.update(self.plan["env"])
            env.update(cell["env"])
            for name in cell["secrets"]:
                env[name] = _os.environ.get(name, "")
            for name, value in params.items():
                env["PARAM_" + name.upper()] = _environment_text(value)
            env.update(SPLITBOOK_PARAMS=_os.path.join(base, "params.json"), SPLITBOOK_NOTEBOOK=self.plan["notebook"],
                       SPLITBOOK_CELL=cell["id"], SPLITBOOK_DISPLAY=display,
                       SPLITBOOK_METRICS=_os.path.join(base, "metrics.json"), TMPDIR=base)
            if cell["lang"] == "python":
                env.update(PYTHONPATH=self.lib, PYTHONDONTWRITEBYTECODE="1")
            for name, value in env.items():
                self.saved["env"].setdefault(name, _os.environ.get(name))
                if value is None:
                    _os.environ.pop(name, None)
                else:
                    _os.environ[name] = value
            for path, producer in cell["inputs"]:
                _copy(self.input_origin(cell, path, producer), _os.path.join(work, path))
            for use in cell["uses"]:
                _copy(self.artifact_origin(cell, use), _os.path.join(work, "artifacts", use["name"]))
            self.forget_imports()
            if "splitbook" in _sys.modules:  # its params are this cell's
                _importlib.reload(_sys.modules["splitbook"])

        def forget_imports(self):
            """Lets the cell import its own modules from its own directory, as a fresh process would: modules
            imported from other cells' directories are forgotten, and so are the finders of relative
            sys.path entries ("lib", ""), which stay bound to the directory they were first used in."""
            cells = _os.path.join(self.root, "cells") + _os.sep
            for name, module in list(_sys.modules.items()):
                if (getattr(module, "__file__", None) or "").startswith(cells):
                    del _sys.modules[name]
            for entry in [entry for entry in _sys.path_importer_cache if not _os.path.isabs(entry)]:
                del _sys.path_importer_cache[entry]
            _importlib.invalidate_caches()

        def input_origin(self, cell, path, producer):
            if producer is not None:
                origin = _os.path.join(self.base(producer), "work", path)
                if producer not in self.finished or not _os.path.exists(origin):
                    raise SplitbookCellError(
                        "cell '%s' reads '%s', an output of cell '%s', which has not run in this kernel: "
                        "run '%s' first (Run All runs the cells in order)" % (cell["id"], path, producer, producer))
                return origin
            origin = _os.path.join(self.source_dir(), path)
            if not _os.path.exists(origin):
                raise SplitbookCellError(
                    "cell '%s' reads '%s' from the notebook's folder, %s, which does not hold it (this .ipynb "
                    "records where that folder was when it was exported). Point SPLITBOOK_SOURCE_DIR at a copy of it, "
                    "e.g. os.environ['SPLITBOOK_SOURCE_DIR'] = '/path/to/notebooks', and run the cell again"
                    % (cell["id"], path, self.source_dir()))
            return origin

        def artifact_origin(self, cell, use):
            name, publisher = use["name"], use["publisher"]
            if publisher is not None:
                origin = _os.path.join(self.root, "registry", name)
                if not _os.path.exists(origin):
                    raise SplitbookCellError(
                        "cell '%s' uses the artifact '%s', which cell '%s' publishes; it has not run in this kernel: "
                        "run '%s' first (Run All runs the cells in order)" % (cell["id"], name, publisher, publisher))
                return origin
            root, selector = self.registry_dir(), use["selector"]
            version = selector
            if not isinstance(selector, int):
                try:
                    with open(_os.path.join(root, name, "aliases", selector)) as f:
                        version = int(f.read().strip())
                except (OSError, ValueError):
                    version = None
            origin = _os.path.join(root, name, "versions", str(version), "content")
            if version is None or not _os.path.exists(origin):
                raise SplitbookCellError(
                    "cell '%s' uses the artifact '%s', which no cell of this notebook publishes, and the registry %s "
                    "has no such version. Set SPLITBOOK_REGISTRY to the registry that holds it (splitbook's default "
                    "is outputs/registry in the project the notebook ran in), and run the cell again"
                    % (cell["id"], use["reference"], root))
            return origin

        def begin(self):
            """First statement of a splitbook cell: fails it when its world could not be prepared."""
            if self.problem is not None:
                problem, self.problem = self.problem, None
                raise problem

        def finish(self):
            """Last statement of a splitbook cell: checks its outputs, publishes, shows its display files and samples."""
            cell = self.current
            for path in cell["outputs"]:
                if not _os.path.exists(path):
                    raise SplitbookCellError("cell '%s' finished but did not write its declared output '%s'" % (cell["id"], path))
            for artifact, path in cell["publish"].items():
                target = _os.path.join(self.root, "registry", artifact)
                _remove(target)
                _copy(_os.path.abspath(path), target)
            self.finished.add(cell["id"])
            if cell["stage"] == "online" and callable(self.shell.user_ns.get("handle")):
                self.handlers[cell["id"]] = self.shell.user_ns["handle"]
            self.show(self.base(cell["id"]))
            if cell["chain"]:
                self.replay(cell)

        def show(self, base):
            """What the cell wrote to SPLITBOOK_DISPLAY and SPLITBOOK_METRICS, as the report shows it."""
            from IPython.display import display
            directory = _os.path.join(base, "display")
            for name in sorted(_os.listdir(directory)):
                path = _os.path.join(directory, name)
                if _os.path.isfile(path):
                    display(_display_bundle(name, path), raw=True)
            try:
                with open(_os.path.join(base, "metrics.json")) as f:
                    metrics = _json.load(f)
            except (OSError, ValueError):
                metrics = None
            if isinstance(metrics, dict) and metrics:
                text = "\n".join("%s = %s" % (key, metrics[key]) for key in sorted(metrics))
                display({"application/json": metrics, "text/plain": "metrics:\n" + text}, raw=True)

        def replay(self, cell):
            """An endpoint's samples through its chain of handlers, as the run sent them."""
            from IPython.display import display
            for link in cell["chain"]:
                if link not in self.handlers:
                    raise SplitbookCellError("the samples of '%s' go through '%s', which has not defined handle() in this "
                                             "kernel: run it first" % (cell["id"], link))
            samples = []
            for request in cell["samples"]:
                response = request
                for link in cell["chain"]:
                    response = _json.loads(_json.dumps(self.handlers[link](response)))
                samples.append({"request": request, "response": response})
            text = _json.dumps(samples, indent=2, sort_keys=True)
            display({"application/json": {"chain": cell["chain"], "samples": samples},
                     "text/plain": "samples through %s:\n%s" % (" -> ".join(cell["chain"]), text)}, raw=True)


    class _SplitbookFrame(_ast.NodeTransformer):
        """Wraps a splitbook cell's code in begin() and finish() (its own lines keep their numbers)."""

        def __init__(self, cells):
            self.cells = cells

        def visit(self, node):
            if self.cells.current is None or self.cells.depth != 1 or not isinstance(node, _ast.Module):
                return node
            body = node.body
            at = 0
            while at < len(body) and isinstance(body[at], _ast.ImportFrom) and body[at].module == "__future__":
                at += 1
            begin = _ast.parse("_splitbook.begin()").body[0]
            finish = _ast.parse("_splitbook.finish()").body[0]
            if body:
                _ast.increment_lineno(finish, getattr(body[-1], "end_lineno", body[-1].lineno) - 1)
            node.body = body[:at] + [begin] + body[at:] + [finish]
            return node


    def _canonical_json(value):
        return _json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


    def _environment_text(value):
        """A param as splitbook puts it in PARAM_NAME: scalars bare, lists and maps as JSON."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int)):
            return str(value)
        return _canonical_json(value)


    def _remove(path):
        if _os.path.isdir(path) and not _os.path.islink(path):
            _shutil.rmtree(path)
        elif _os.path.lexists(path):
            _os.remove(path)


    def _copy(origin, target):
        parent = _os.path.dirname(target)
        if parent:
            _os.makedirs(parent, exist_ok=True)
        if _os.path.isdir(origin):
            _shutil.copytree(origin, target, symlinks=True)
        else:
            _shutil.copy(origin, target)


    def _display_bundle(name, path):
        """A display file as Jupyter output data: images, tables, Markdown, HTML, JSON, text."""
        import base64
        import csv
        import html
        extension = _os.path.splitext(name)[1].lower()
        with open(path, "rb") as f:
            data = f.read()
        text = data.decode("utf-8", "replace")
        if extension in (".png", ".jpg", ".jpeg"):
            mime = "image/png" if extension == ".png" else "image/jpeg"
            return {mime: base64.b64encode(data).decode("ascii"), "text/plain": name}
        if extension == ".svg":
            return {"image/svg+xml": text, "text/plain": name}
        if extension in (".csv", ".tsv"):
            rows = list(csv.reader(text.splitlines(), delimiter="," if extension == ".csv" else "\t"))
            cells = lambda row, tag: "".join("<%s>%s</%s>" % (tag, html.escape(value), tag) for value in row)
            head = "<tr>%s</tr>" % cells(rows[0], "th") if rows else ""
            body = "".join("<tr>%s</tr>" % cells(row, "td") for row in rows[1:])
            return {"text/html": "<table><thead>%s</thead><tbody>%s</tbody></table>" % (head, body), "text/plain": text}
        if extension == ".md":
            return {"text/markdown": text, "text/plain": text}
        if extension == ".html":
            return {"text/html": text, "text/plain": name}
        if extension == ".json":
            try:
                value = _json.loads(text)
            except ValueError:
                return {"text/plain": text}
            return {"application/json": value, "text/plain": _json.dumps(value, indent=2, sort_keys=True)}
        return {"text/plain": text}


    def _splitbook_notes(plan):
        """What differs between this kernel and the run, said once."""
        notes = []
        seed = plan["env"].get("PYTHONHASHSEED")
        if seed is not None and _os.environ.get("PYTHONHASHSEED") != seed:
            notes.append("the run had PYTHONHASHSEED=%s; this kernel hashes strings with another seed, so set and dict "
                         "orders may differ (start the kernel with PYTHONHASHSEED=%s)" % (seed, seed))
        from importlib import metadata
        for name, version in plan["packages"]:
            try:
                have = metadata.version(name)
            except metadata.PackageNotFoundError:
                have = None
            if have != version:
                notes.append("the run used %s %s; this kernel has %s" % (name, version, have or "none (pip install %s==%s)" % (name, version)))
        source = _os.environ.get("SPLITBOOK_SOURCE_DIR") or plan["source_dir"]
        if not _os.path.isdir(source):
            notes.append("the notebook's folder %s is not here: cells that read its files will say so; set "
                         "SPLITBOOK_SOURCE_DIR to a copy of it" % source)
        return notes


    if "_splitbook" in globals():  # this cell ran before: start again from a clean slate
        _splitbook.uninstall()
    _splitbook = _SplitbookCells(_SPLITBOOK_PLAN, _SPLITBOOK_HELPER, get_ipython())
    _splitbook.install()
    for _note in _splitbook_notes(_SPLITBOOK_PLAN):
        print("note:", _note, file=_sys.stderr)
    """#
}
