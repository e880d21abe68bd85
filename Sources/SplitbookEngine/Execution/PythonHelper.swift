/// The `splitbook` module Python cells can import (CONTRACT §2). Written
/// beside each cell's script and put on PYTHONPATH.
public enum PythonHelper {
    public static let fileName = "splitbook.py"

    public static let source = #"""
    """splitbook's helper for Python cells: params, display, metric, artifact.

    Provided by the runner; nothing to install. Everything here is also
    available without it through environment variables (see CONTRACT §2).
    save/load hand values from one cell to another through declared files
    (what `splitbook import` writes); show/show_figures display values the
    way Jupyter shows a cell's last expression and its figures.
    """
    import json as _json
    import os as _os

    __all__ = ["params", "display", "metric", "artifact", "save", "load", "show", "show_figures", "MISSING"]


    def _load_params():
        path = _os.environ.get("SPLITBOOK_PARAMS")
        if not path or not _os.path.exists(path):
            return {}
        with open(path) as f:
            return _json.load(f)


    #: The params this cell declared, with their values (a dict).
    params = _load_params()

    _display_count = [0]


    def _display_path(name, extension):
        directory = _os.environ.get("SPLITBOOK_DISPLAY")
        if not directory:
            raise RuntimeError("SPLITBOOK_DISPLAY is not set: display() works inside splitbook cells")
        _os.makedirs(directory, exist_ok=True)
        _display_count[0] += 1
        if name is None:
            name = "%03d%s" % (_display_count[0], extension)
        elif not _os.path.splitext(name)[1]:
            name += extension
        if _os.path.basename(name) != name:
            raise ValueError("display name must be a plain file name: %r" % (name,))
        return _os.path.join(directory, name)


    def display(value, name=None):
        """Shows `value` in the run report.

        str -> Markdown; dict/list -> JSON; a list of dicts -> a CSV table;
        bytes -> a PNG image; anything with savefig (a matplotlib figure) -> PNG.
        Returns the path written.
        """
        if hasattr(value, "savefig"):
            path = _display_path(name, ".png")
            value.savefig(path)
        elif isinstance(value, (bytes, bytearray)):
            path = _display_path(name, ".png")
            with open(path, "wb") as f:
                f.write(value)
        elif isinstance(value, str):
            path = _display_path(name, ".md")
            with open(path, "w") as f:
                f.write(value)
        elif isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            import csv
            path = _display_path(name, ".csv")
            columns = list(dict.fromkeys(key for row in value for key in row))
            with open(path, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                writer.writerows(value)
        else:
            path = _display_path(name, ".json")
            with open(path, "w") as f:
                _json.dump(value, f, indent=2, sort_keys=True, default=str)
        return path


    def metric(name, value):
        """Records a number in the run history (merged into SPLITBOOK_METRICS)."""
        path = _os.environ.get("SPLITBOOK_METRICS")
        if not path:
            raise RuntimeError("SPLITBOOK_METRICS is not set: metric() works inside splitbook cells")
        number = float(value)
        current = {}
        if _os.path.exists(path):
            with open(path) as f:
                try:
                    current = _json.load(f)
                except ValueError:
                    current = {}
        current[str(name)] = number
        with open(path, "w") as f:
            _json.dump(current, f, sort_keys=True)
        return number


    def artifact(name):
        """The path of a registry artifact this cell declared in `uses`."""
        path = _os.path.join("artifacts", name)
        if not _os.path.exists(path):
            raise FileNotFoundError("artifact %r is not available: list it in the cell's 'uses'" % (name,))
        return path


    # Hand-offs between cells ------------------------------------------------
    #
    # A value file (format 1) is one JSON header line, then the payload:
    #   {"splitbook-value": 1, "format": F, "type": "module.Class", ...}\n
    # F is one of
    #   npy      a numpy array without Python objects, as numpy.save writes it:
    #            no code runs on load, and it is written and read at disk speed
    #   pickle   anything else (pandas frames included), pickle protocol 5:
    #            exact for every type pickle knows, and fast for the arrays
    #            inside frames; the files come only from the notebook's own
    #            cells, through the store that checks every object's hash
    #   module   an imported module: {"module": NAME}, imported again on load
    #   source   a function or class the notebook defined: its source code,
    #            run again in the loading cell (pickle stores only its name)
    #   missing  the cell left the name undefined: load raises NameError
    # The same value gives the same bytes (with a fixed PYTHONHASHSEED), so a
    # cell that reruns and makes the same values leaves its readers cached.


    class _Missing(object):
        """A name that a cell left undefined (a conditional definition that did not happen)."""

        def __repr__(self):
            return "splitbook.MISSING"


    #: Pass to save() for a name that may be undefined: globals().get("x", MISSING).
    MISSING = _Missing()


    def _source_binding(value):
        """(source, name it binds) of a function or class defined in the notebook, or None."""
        import ast
        import inspect
        import textwrap
        try:
            source = textwrap.dedent(inspect.getsource(value))
            tree = ast.parse(source)
        except (OSError, TypeError, SyntaxError):
            return None
        if len(tree.body) != 1:
            return None
        node = tree.body[0]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return source, node.name
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Lambda):
            return source, node.targets[0].id
        return None


    def save(path, value):
        """Saves `value` at `path` (one of the cell's declared outputs) for the cells that load() it.

        numpy arrays of plain numbers -> .npy; modules -> their name; functions and
        classes this notebook defined -> their source; anything else -> pickle.
        Returns the path.
        """
        import io
        import sys
        import types
        directory = _os.path.dirname(path)
        if directory:
            _os.makedirs(directory, exist_ok=True)
        header = {"splitbook-value": 1, "type": "%s.%s" % (type(value).__module__, type(value).__qualname__)}
        numpy = sys.modules.get("numpy")
        payload = None
        if value is MISSING:
            header["format"] = "missing"
        elif isinstance(value, types.ModuleType):
            header.update(format="module", module=value.__name__)
        elif isinstance(value, (types.FunctionType, type)) and getattr(value, "__module__", None) == "__main__" \
                and _source_binding(value) is not None:
            source, name = _source_binding(value)
            header.update(format="source", name=name)
            payload = source.encode("utf-8")
        elif numpy is not None and type(value) is numpy.ndarray and not value.dtype.hasobject:
            header["format"] = "npy"
        else:
            header["format"] = "pickle"
            try:
                buffer = io.BytesIO()
                _Pickler(buffer, protocol=5).dump(value)
                payload = buffer.getvalue()
            except Exception as error:
                raise TypeError("cannot hand %s (a %s) to later cells: %s. Recreate it in each cell that uses it, "
                                "or keep the data it holds instead" % (path, header["type"], error)) from None
        with open(path, "wb") as f:
            f.write((_json.dumps(header, sort_keys=True) + "\n").encode("utf-8"))
            if header["format"] == "npy":
                numpy.lib.format.write_array(f, value, allow_pickle=False)
            elif payload is not None:
                f.write(payload)
        return path


    def _pickler_class():
        import pickle
        import types

        class Pickler(pickle.Pickler):
            """Pickles a function the notebook defined (inside a value: a callback, a partial) by its
            source: plain pickle stores only its name, which the loading cell may not have."""

            def reducer_override(self, obj):
                if type(obj) is types.FunctionType and obj.__module__ == "__main__" and obj.__qualname__ == obj.__name__:
                    binding = _source_binding(obj)
                    if binding is not None:
                        return _function, (binding[1], binding[0])
                return NotImplemented

        return Pickler


    class _LazyPickler(object):
        def __call__(self, *args, **kwargs):
            return _pickler_class()(*args, **kwargs)


    _Pickler = _LazyPickler()


    def _function(name, source):
        """A function pickled by its source: the loading cell's own if it has the same, else this one."""
        import sys
        main = sys.modules["__main__"].__dict__
        existing = main.get(name)
        if existing is not None and getattr(existing, "__splitbook_source__", None) == source:
            return existing
        previous = main.get(name, MISSING)
        value = _define(name, source, "pickled " + name)
        if previous is not MISSING:
            main[name] = previous  # the cell's own binding of the name stays
        return value


    def load(path, default=None):
        """The value a cell save()d at `path` (one of this cell's declared inputs).

        A name the saving cell left undefined raises NameError, unless `default` is given
        (MISSING, say): then that is returned instead.
        """
        import importlib
        import pickle
        if not _os.path.exists(path):
            raise FileNotFoundError("%s is not here: list it in the cell's inputs" % (path,))
        with open(path, "rb") as f:
            header = _json.loads(f.readline().decode("utf-8"))
            kind = header.get("format")
            if kind == "pickle":
                return pickle.load(f)
            if kind == "npy":
                import numpy
                return numpy.lib.format.read_array(f, allow_pickle=False)
            if kind == "module":
                return importlib.import_module(header["module"])
            if kind == "source":
                return _define(header["name"], f.read().decode("utf-8"), path)
            if kind == "missing":
                if default is not None:
                    return default
                raise NameError("%s holds no value: the cell that saved it left the name undefined" % (path,))
        raise ValueError("%s is not a value file splitbook can read (format %r)" % (path, kind))


    def _define(name, source, path):
        """Runs a function's or class's source in the loading cell's globals, as if written there."""
        import linecache
        import sys
        main = sys.modules["__main__"].__dict__
        filename = "<splitbook %s>" % path
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), main)
        value = main[name]
        try:
            value.__splitbook_source__ = source
        except (AttributeError, TypeError):
            pass
        return value


    def show(value):
        """Shows `value` as Jupyter shows a cell's last expression: its text on stdout
        (nothing for None), a figure as an image and an HTML view (a DataFrame's
        table) in the report. Returns the value."""
        if value is None:
            return value
        if hasattr(value, "savefig"):
            if _os.environ.get("SPLITBOOK_DISPLAY"):
                display(value)
            return value
        print(_plain_text(value))
        html = getattr(value, "_repr_html_", None)
        if callable(html) and _os.environ.get("SPLITBOOK_DISPLAY"):
            try:
                text = html()
            except Exception:
                text = None
            if text:
                with open(_display_path(None, ".html"), "w") as f:
                    f.write(text)
        return value


    def _plain_text(value):
        """The text/plain Jupyter shows for `value`: IPython's pretty printer (79
        columns, what the kernel's PlainTextFormatter runs) where this interpreter
        has IPython; else pprint's text, which breaks long containers and strings
        differently and shows a type or function by its repr."""
        try:
            from IPython.lib.pretty import pretty
        except ImportError:
            import pprint
            return pprint.pformat(value, width=79, sort_dicts=False)
        return pretty(value, max_width=79)


    def show_figures():
        """Shows every open matplotlib figure in the report, then closes them: what
        Jupyter's inline backend does at the end of a cell."""
        import sys
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        if _os.environ.get("SPLITBOOK_DISPLAY"):
            for number in pyplot.get_fignums():
                display(pyplot.figure(number))
        pyplot.close("all")
    """#
}
