/// The `splitbook` module Python cells can import (CONTRACT §2). Written
/// beside each cell's script and put on PYTHONPATH.
public enum PythonHelper {
    public static let fileName = "splitbook.py"

    public static let source = #"""
    """splitbook's helper for Python cells: params, display, metric, artifact.

    Provided by the runner; nothing to install. Everything here is also
    available without it through environment variables (see CONTRACT §2).
    """
    import json as _json
    import os as _os

    __all__ = ["params", "display", "metric", "artifact"]


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
    """#
}
