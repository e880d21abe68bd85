/// The Python half of `splitbook import`: reads the `.ipynb` (nbformat 4) and
/// analyses each code cell with `ast`, through the notebook's interpreter. It
/// prints one JSON document, decoded as `JupyterAnalysis`; it never imports or
/// runs the notebook's code. Static analysis only, so what it cannot see
/// (`exec`, `globals()`, star imports, magics, shell lines) it reports at the
/// cell and line instead of guessing.
enum JupyterAnalyzerSource {
    static let source = #"""
"""splitbook import: what each cell of a Jupyter notebook reads, defines and touches.

Reads {"cells": [{"number": N, "source": TEXT, "parameters": BOOL}]} (code cells,
in notebook order) on stdin; writes one JSON document on stdout (see
`JupyterAnalysis.swift` for its fields). Static analysis only: nothing the
notebook says is imported or run.
"""
import ast
import builtins
import json
import re
import shlex
import sys

BUILTIN_NAMES = set(dir(builtins)) | {"__name__", "__file__", "__doc__", "__builtins__", "__spec__", "__loader__", "__package__"}
IPYTHON_NAMES = {"display", "get_ipython", "In", "Out", "_", "__", "___", "exit", "quit", "_ih", "_oh", "_dh", "_i", "_ii", "_iii"}

# Methods that change the object they are called on (a new version of the name).
MUTATORS = {
    "append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "setdefault", "add", "discard",
    "sort", "reverse", "appendleft", "extendleft", "popleft", "rotate", "difference_update", "intersection_update",
    "symmetric_difference_update", "fit", "partial_fit", "fit_transform", "fit_predict", "set_params", "set_index_inplace",
    "drop_duplicates_inplace", "fillna_inplace", "resize", "fill", "put", "itemset", "setflags", "sort_values_inplace",
    "random", "integers", "normal", "uniform", "choice", "shuffle", "permutation", "permuted", "standard_normal",
    "binomial", "poisson", "exponential", "seed", "load_state_dict", "train", "step", "zero_grad", "backward",
}
# Mutators of the builtin containers, which return None: as a cell's last line they show nothing.
RETURNS_NONE = {"append", "extend", "insert", "remove", "clear", "update", "sort", "reverse", "add", "discard",
                "appendleft", "extendleft", "rotate"}
# Methods whose result is often thrown away but that leave the object as it was.
PURE_METHODS = {
    "head", "tail", "info", "describe", "show", "summary", "value_counts", "nunique", "count", "sample", "copy",
    "keys", "values", "items", "get", "index", "isnull", "isna", "sum", "mean", "max", "min", "std", "shape",
    "print_summary", "display", "savefig", "tolist", "to_dict", "to_list", "memory_usage", "corr", "dtypes",
    "plot", "scatter", "bar", "barh", "hist", "boxplot", "imshow", "pie", "heatmap", "lineplot", "scatterplot",
    "histplot", "pairplot", "countplot", "barplot", "boxplot", "set_title", "set_xlabel", "set_ylabel", "legend",
    "grid", "format", "join", "split", "strip", "lower", "upper", "replace", "startswith", "endswith", "query",
    "groupby", "agg", "apply", "map", "merge", "predict", "predict_proba", "score", "transform", "evaluate",
}
# module.function(x, ...) that change their first argument in place.
ARGUMENT_MUTATORS = {"shuffle", "heappush", "heappop", "heapify", "heappushpop", "heapreplace", "insort", "insort_left", "insort_right"}
# Calls on a module that configure it for every later cell in Jupyter.
CONFIG_CALLS = {"set_option", "set_printoptions", "filterwarnings", "simplefilter", "use", "set_theme", "set_style",
                "set_context", "set_palette", "basicConfig", "seterr", "set_default_dtype", "rc", "set_float32_matmul_precision"}
# Calls on a module that seed a global random generator: state later cells would silently not see.
SEED_CALLS = {"seed", "manual_seed", "manual_seed_all", "set_seed", "set_state", "set_random_seed"}
READERS = {
    "read_csv", "read_table", "read_parquet", "read_json", "read_excel", "read_feather", "read_pickle", "read_hdf",
    "read_orc", "read_fwf", "read_xml", "read_stata", "read_sas", "read_spss", "load", "loadtxt", "genfromtxt",
    "fromfile", "memmap", "imread", "read_file", "load_workbook", "read_text", "read_bytes", "listdir", "scandir",
    "iterdir", "connect", "glob", "iglob", "load_npz", "read_image", "load_dataset_from_disk",
}
# Readers whose literal argument is always a path (so a computed one is worth a warning).
PATH_READERS = {name for name in READERS if name.startswith("read_")} | {"open", "loadtxt", "genfromtxt", "imread"}
WRITERS = {
    "to_csv", "to_parquet", "to_json", "to_excel", "to_feather", "to_pickle", "to_hdf", "to_html", "to_latex",
    "to_markdown", "to_xml", "to_stata", "to_orc", "save", "savez", "savez_compressed", "savetxt", "savefig", "dump",
    "imwrite", "imsave", "write_text", "write_bytes", "to_file", "tofile", "write_image", "write_html", "save_npz",
}
PATH_WRITERS = {name for name in WRITERS if name.startswith("to_")} | {"savefig", "savetxt", "imwrite", "write_text", "write_bytes"}
PATH_KEYWORDS = {"path", "fname", "file", "filename", "filepath", "filepath_or_buffer", "path_or_buf", "path_or_buffer", "io", "f", "buf", "uri"}
PLOT_MODULES = {"matplotlib", "seaborn", "pylab"}
STATE_CALLS = {"exec": "runs code the analysis cannot see", "eval": "reads names the analysis cannot see",
               "globals": "reads or writes names the analysis cannot see", "locals": "reads or writes names the analysis cannot see",
               "vars": "reads names the analysis cannot see", "get_ipython": "talks to the Jupyter kernel, which splitbook cells do not have",
               "__import__": "imports a module the analysis cannot see"}
FRONT_END_MAGICS = {"matplotlib", "config", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport", "xmode", "who",
                    "whos", "who_ls", "history", "lsmagic", "pdb", "debug", "precision", "colors", "magic", "quickref",
                    "page", "pinfo", "pinfo2", "psearch", "notebook", "automagic", "autocall", "doctest_mode", "prun",
                    "tb", "reset_selective", "pprint", "alias_magic", "qtconsole", "connect_info", "clear", "ls", "pwd",
                    "pip list", "pip show", "pip freeze", "dirs", "env", "recall", "rerun", "save", "edit"}


class Report:
    """The warnings of one cell: at a line and column of the cell's own text."""

    def __init__(self):
        self.items = []

    def add(self, severity, line, col, length, message, *notes):
        self.items.append({"severity": severity, "line": line, "col": col, "length": max(1, length),
                           "message": message, "notes": list(notes)})


def placeholder(indent, text):
    """A line that keeps the cell valid Python where a magic was."""
    return indent + ("pass  # " if indent else "# ") + text


def parse_pip(args, line, col, report, pip):
    """`pip install ARGS` -> requirements (options that take a value are skipped, others reported)."""
    try:
        words = shlex.split(args, comments=True)
    except ValueError:
        words = args.split()
    if not words or words[0] != "install":
        report.add("note", line, col, len(args), "`pip %s` dropped: it only inspects the kernel's environment" % (words[0] if words else ""))
        return
    takes_value = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-c", "--constraint", "-t", "--target",
                   "--prefix", "--root", "--platform", "--python-version", "--implementation", "--abi", "--src", "--trusted-host"}
    words = words[1:]
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-r", "--requirement") and i + 1 < len(words):
            pip["files"].append(words[i + 1])
            i += 2
            continue
        if word.startswith("--requirement="):
            pip["files"].append(word.split("=", 1)[1])
        elif word in ("-e", "--editable") or word.startswith((".", "/", "git+", "http://", "https://", "file:")):
            report.add("warning", line, col, len(args), "`pip install %s`: a local or URL requirement is not carried over" % word,
                       "list the package by name in the notebook's `python: {requirements: [...]}`")
            if word in ("-e", "--editable"):
                i += 1
        elif word in takes_value or word.split("=", 1)[0] in takes_value:
            if word in ("-i", "--index-url", "--extra-index-url", "-f", "--find-links") or word.split("=", 1)[0] in ("--index-url", "--extra-index-url", "--find-links"):
                report.add("warning", line, col, len(args), "`pip install %s`: an index option is not carried over" % word.split("=", 1)[0],
                           "set PIP_INDEX_URL or UV_INDEX_URL (or PIP_FIND_LINKS) in the environment of `splitbook run`")
            if "=" not in word:
                i += 1
        elif word.startswith("-"):
            pass  # -q, -U, --upgrade, --user, --no-cache-dir...: how to install, not what
        else:
            pip["requirements"].append(word)
        i += 1
    report.add("note", line, col, len(args), "`pip install` becomes the notebook's `python.requirements`")


PIP_LINE = re.compile(r"^(?:%pip3?|!\s*pip3?|!\s*(?:python3?|\{sys\.executable\})\s+-m\s+pip|%python\s+-m\s+pip)\s+(.*)$")


def strip_magics(source, report, pip, env):
    """IPython syntax -> Python. Returns (python text, language)."""
    lines = source.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name, _, rest = first[2:].partition(" ")
        body = lines[1:]
        column = len(lines[0]) - len(lines[0].lstrip()) + 1
        if name in ("time", "capture"):
            report.add("note", 1, column, len(first), "`%%%%%s` dropped: the cell's code runs as written" % name)
            lines = [placeholder("", first)] + body
        elif name in ("bash", "sh") or (name == "script" and rest.strip() in ("bash", "sh")):
            report.add("note", 1, column, len(first), "`%s` cell: becomes a `lang: %s` cell" % (first, "bash" if name != "sh" else "sh"))
            return "\n".join(body), ("sh" if name == "sh" or rest.strip() == "sh" else "bash")
        elif name == "timeit":
            report.add("warning", 1, column, len(first), "`%%timeit` cell: dropped (it only times its code, in a scope of its own)")
            return "\n".join([placeholder("", first)] + ["# " + line for line in body]), "python"
        else:
            report.add("warning", 1, column, len(first), "cell magic `%%%%%s`: not Python, commented out" % name,
                       "splitbook cells are Python, sh or bash; rewrite it as one of those")
            return "\n".join("# " + line if line else "#" for line in lines), "python"
    try:
        ast.parse("\n".join(lines))
        return "\n".join(lines), "python"
    except SyntaxError:
        pass
    out = []
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        indent = line[:len(line) - len(stripped)]
        column = len(indent) + 1
        text = stripped.rstrip()
        pip_match = PIP_LINE.match(text)
        if pip_match:
            parse_pip(pip_match.group(1), number, column, report, pip)
            out.append(placeholder(indent, text))
        elif re.match(r"^[A-Za-z_][\w., ]*=\s*[!%]", text):
            report.add("warning", number, column, len(text), "assignment from a shell command or magic: not carried over",
                       "compute the value in Python (subprocess.run(..., capture_output=True, text=True).stdout)")
            out.append(placeholder(indent, text))
        elif text.startswith("%"):
            name, _, rest = text[1:].partition(" ")
            if name in ("time",) and rest.strip():
                report.add("note", number, column, len(text), "`%time` dropped: the statement runs as written")
                out.append(indent + rest.strip())
            elif name == "timeit":
                report.add("warning", number, column, len(text), "`%timeit` dropped (it only times its statement, in a scope of its own)")
                out.append(placeholder(indent, text))
            elif name == "env" and rest.strip():
                assignment = rest.strip()
                key, sep, value = assignment.partition("=") if "=" in assignment else assignment.partition(" ")
                if sep and key.strip():
                    env.append({"name": key.strip(), "value": value.strip(), "line": number})
                    report.add("note", number, column, len(text), "`%%env`: becomes the notebook's `env: {%s: ...}`, seen by every cell" % key.strip())
                out.append(placeholder(indent, text))
            elif name in ("conda", "mamba"):
                report.add("warning", number, column, len(text), "`%%%s` is not carried over" % name,
                           "list the packages in the notebook's `python: {requirements: [...]}`")
                out.append(placeholder(indent, text))
            elif name in FRONT_END_MAGICS:
                report.add("note", number, column, len(text), "`%%%s` dropped: it only configures the Jupyter front end or kernel" % name)
                out.append(placeholder(indent, text))
            else:
                report.add("warning", number, column, len(text), "magic `%%%s` is not Python: commented out, not run" % name,
                           "cd, run, store, load and the like depend on the kernel's state; write the Python it stands for")
                out.append(placeholder(indent, text))
        elif text.startswith("!"):
            report.add("warning", number, column, len(text), "shell line `%s`: commented out, not run" % text,
                       "a command that prepares files belongs in a `lang: sh` cell with its `outputs:`; one that fetches data, outside the notebook")
            out.append(placeholder(indent, text))
        elif re.match(r"^\?\??[\w.]+$|^[\w.]+\?\??$", text):
            report.add("note", number, column, len(text), "help request `%s` dropped" % text)
            out.append(placeholder(indent, text))
        else:
            out.append(line)
    return "\n".join(out), "python"


def root_name(node):
    """`df` for `df`, `df["x"]`, `df.loc[0, "x"]`, `obj.a.b`; None for anything else."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def call_name(func):
    """The last name of a call's function: `read_csv` for `pd.read_csv`."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def target_names(target):
    """Names a target binds (`a`, `a, (b, *c)`), leaving subscripts and attributes out."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in target_names(element)]
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    return []


def mutated_roots(target):
    """Names an assignment target changes in place (`df["x"] = ...` changes df)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in mutated_roots(element)]
    if isinstance(target, ast.Starred):
        return mutated_roots(target.value)
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        name = root_name(target)
        return [name] if name else []
    return []


class Summary:
    """What calling (or instantiating) a function or class defined at top level does to globals."""

    def __init__(self, kind, params=()):
        self.kind = kind
        self.params = list(params)
        self.reads = {}
        self.writes = set()
        self.mutations = set()
        self.param_mutations = set()
        self.calls = set()
        self.paths = []

    def as_json(self):
        return {"kind": self.kind, "freeReads": sorted(self.reads)}


MATCH_CAPTURES = tuple(getattr(ast, name) for name in ("MatchAs", "MatchStar") if hasattr(ast, name))
MATCH_MAPPING = getattr(ast, "MatchMapping", None)


def header_expressions(node):
    """What a def or class statement evaluates when it runs: decorators, defaults, annotations, bases."""
    if isinstance(node, ast.ClassDef):
        return node.decorator_list + node.bases + [k.value for k in node.keywords]
    if isinstance(node, ast.Lambda):
        return node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    arguments = node.args
    annotations = [a.annotation for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs
                   + [arguments.vararg, arguments.kwarg] if a is not None and a.annotation is not None]
    return node.decorator_list + arguments.defaults + [d for d in arguments.kw_defaults if d is not None] + annotations \
        + ([node.returns] if node.returns is not None else [])


def scope_bindings(node):
    """Names bound in the scope `node` opens, and those it declares global."""
    bound, declared_global = set(), set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = node.args
        for argument in arguments.posonlyargs + arguments.args + arguments.kwonlyargs:
            bound.add(argument.arg)
        for argument in (arguments.vararg, arguments.kwarg):
            if argument:
                bound.add(argument.arg)
        body = node.body if isinstance(node.body, list) else [node.body]
    elif isinstance(node, ast.ClassDef):
        body = node.body
    else:  # a comprehension
        for generator in node.generators:
            bound.update(target_names(generator.target))
        return bound, declared_global

    def visit(child):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(child.name)
            return
        if isinstance(child, ast.Lambda):
            return
        if isinstance(child, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            for sub in ast.walk(child):
                if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                    bound.add(sub.target.id)
            return
        if isinstance(child, ast.Global):
            declared_global.update(child.names)
        elif isinstance(child, ast.Nonlocal):
            bound.update(child.names)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            bound.add(child.id)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            for alias in child.names:
                if alias.name != "*":
                    bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(child, ast.ExceptHandler) and child.name:
            bound.add(child.name)
        elif isinstance(child, MATCH_CAPTURES) and child.name:
            bound.add(child.name)
        elif MATCH_MAPPING and isinstance(child, MATCH_MAPPING) and child.rest:
            bound.add(child.rest)
        for grandchild in ast.iter_child_nodes(child):
            visit(grandchild)

    for statement in body:
        visit(statement)
    return bound - declared_global, declared_global


class Cell(ast.NodeVisitor):
    """One cell's statements, in order: its upstream reads, definitions, mutations and effects."""

    def __init__(self, notebook, report, source_lines):
        self.notebook = notebook
        self.report = report
        self.lines = source_lines
        self.bound = {}           # name -> "bound" | "deleted": what this cell did to it so far
        self.reads = {}           # upstream name -> {"name", "line", "col"}
        self.defs = {}            # name -> final {"name", "kind", "definite", "imports", "line"}
        self.mutations = {}
        self.paths = []
        self.imports = []
        self.setups = []
        self.functions = {}
        self.plots = False
        self.scopes = []          # (kind, bound, declared_global) of the enclosing functions/classes/comprehensions
        self.owner = None         # the Summary collecting what a function body does when called
        self.conditional = 0
        self.statement = None
        self.display_statement = None
        self.expanded = set()
        self.aliases = {}         # name -> names whose objects it may share (for in-place changes through it)
        self.expression = None    # the value of the expression statement being visited (its result is thrown away)

    # Recording -----------------------------------------------------------

    def read(self, name, node, via=None):
        if self.owner is not None:
            self.owner.reads.setdefault(name, True)
            return
        state = self.bound.get(name)
        if state is None and name not in self.reads:
            entry = {"name": name, "line": node.lineno, "col": node.col_offset + 1}
            if via:
                entry["via"] = via
            self.reads[name] = entry
        if name in PLOT_MODULES or self.notebook.module_of(name) in PLOT_MODULES:
            self.plots = True
        if name in self.notebook.functions and name not in self.expanded:
            self.expanded.add(name)
            self.expand(name, node, set())

    def expand(self, name, node, seen):
        """Reading a function or class: what it reads, writes and mutates when called happens here too."""
        summary = self.notebook.functions.get(name)
        if summary is None or name in seen:
            return
        seen.add(name)
        for read in summary.reads:
            if read in self.notebook.functions and read not in seen:
                self.read(read, node, via=name)
                self.expand(read, node, seen)
            elif self.bound.get(read) is None and read not in self.reads:
                self.reads[read] = {"name": read, "line": node.lineno, "col": node.col_offset + 1, "via": name}
            if read in PLOT_MODULES or self.notebook.module_of(read) in PLOT_MODULES:
                self.plots = True
        for written in summary.writes:
            self.define(written, "value", node, definite=False)
        for mutated in summary.mutations:
            self.mutate(mutated, node)
        for path in summary.paths:
            self.paths.append(dict(path, line=node.lineno, col=node.col_offset + 1, via=name))

    def define(self, name, kind, node, definite=True, imports=None, module=None, bind=False):
        if self.owner is not None:
            return
        definite = definite and self.conditional == 0
        previous = self.defs.get(name)
        entry = {"name": name, "kind": kind, "definite": definite or bool(previous and previous["definite"] and kind != "deleted"),
                 "imports": (imports or []), "line": node.lineno}
        if kind == "import" and previous and previous["kind"] == "import":
            entry["imports"] = previous["imports"] + [text for text in imports if text not in previous["imports"]]
        if kind == "import" and self.conditional:
            entry["kind"] = "value"  # a conditional import is carried as the module it turned out to be
            entry["imports"] = []
        self.defs.pop(name, None)
        self.defs[name] = entry
        if kind == "deleted":
            self.bound[name] = "deleted"
        elif definite or bind:
            self.bound[name] = "bound"
        self.notebook.rebind(name, kind, self, module)

    def alias_roots(self, name, seen=None):
        """The names whose objects `name` may share: `r` in `for r in rows`, `first = rows[0]`, `b = a`."""
        seen = seen if seen is not None else {name}
        for root in self.aliases.get(name, ()):
            if root not in seen:
                seen.add(root)
                self.alias_roots(root, seen)
        return seen

    def alias(self, targets, expression):
        """Records that the names bound by `targets` may share objects with `expression`'s roots."""
        roots = set()
        if isinstance(expression, (ast.Name, ast.Subscript, ast.Attribute)):
            root = root_name(expression)
            if root:
                roots.add(root)
        elif expression is not None:
            roots = {n.id for n in ast.walk(expression) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        for name in targets:
            if roots:
                self.aliases[name] = roots
            else:
                self.aliases.pop(name, None)

    def mutate(self, name, node):
        for root in sorted(self.alias_roots(name) - {name}):
            self.mutate_one(root, node)
        self.mutate_one(name, node)

    def mutate_one(self, name, node):
        if self.owner is not None:
            if self.is_global_in_function(name):
                self.owner.mutations.add(name)
            elif name in self.owner.params and self.scopes and name in self.scopes[0][1] \
                    and all(name not in bound for _, bound, _ in self.scopes[1:]):
                self.owner.param_mutations.add(self.owner.params.index(name))
            return
        if self.notebook.module_of(name) is not None or name in self.notebook.functions:
            return
        if self.bound.get(name) is None:
            self.read(name, node)
        if name not in self.mutations:
            self.mutations[name] = {"name": name, "line": node.lineno, "col": node.col_offset + 1}

    def is_global_in_function(self, name):
        """Whether `name`, where the walk is, means the module-level name."""
        last = len(self.scopes) - 1
        for index in range(last, -1, -1):
            kind, bound, declared = self.scopes[index]
            if name in declared:
                return True
            if kind == "class" and index != last:
                continue  # a class body's names are not visible to the functions inside it
            if name in bound:
                return False
        return True

    load_is_global = is_global_in_function

    def warn(self, node, message, *notes, severity="warning"):
        length = (node.end_col_offset - node.col_offset) if getattr(node, "end_lineno", None) == node.lineno else len(self.lines[node.lineno - 1]) - node.col_offset
        self.report.add(severity, node.lineno, node.col_offset + 1, length, message, *notes)

    # Statements ----------------------------------------------------------

    def run(self, tree):
        body = tree.body
        if body and isinstance(body[-1], ast.Expr):
            last = body[-1]
            tail = self.lines[last.end_lineno - 1][last.end_col_offset:].split("#")[0].strip() if last.end_lineno <= len(self.lines) else ""
            if not tail.startswith(";"):
                self.display_statement = last
        for statement in body:
            self.statement = statement
            self.visit(statement)

    def compound(self, node):
        self.conditional += 1
        self.generic_visit(node)
        self.conditional -= 1

    visit_If = visit_For = visit_AsyncFor = visit_While = visit_Try = compound
    if hasattr(ast, "TryStar"):
        visit_TryStar = compound
    if hasattr(ast, "Match"):
        visit_Match = compound

    def visit_With(self, node):
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            name = (alias.asname or alias.name).split(".")[0]
            self.imports.append({"module": alias.name.split(".")[0], "line": node.lineno, "col": node.col_offset + 1})
            if self.owner is None and not self.scopes:
                text = "import " + alias.name + (" as " + alias.asname if alias.asname else "")
                self.define(name, "import", node, imports=[text], module=alias.name.split(".")[0])
            elif self.owner is not None and self.is_global_in_function(name):
                self.owner.writes.add(name)
            if alias.name.split(".")[0] in PLOT_MODULES and self.owner is None:
                self.plots = True

    def visit_ImportFrom(self, node):
        module = "." * node.level + (node.module or "")
        if node.level == 0 and node.module:
            self.imports.append({"module": node.module.split(".")[0], "line": node.lineno, "col": node.col_offset + 1})
        if (node.module or "").split(".")[0] in PLOT_MODULES and self.owner is None:
            self.plots = True
        for alias in node.names:
            if alias.name == "*":
                if self.owner is None and not self.scopes:
                    self.warn(node, "star import from '%s': the names it defines cannot be followed" % module,
                              "import the names you use: from %s import name1, name2" % module)
                    self.notebook.star_imports.append({"module": module, "cell": self.notebook.current, "line": node.lineno})
                continue
            if self.owner is None and not self.scopes:
                name = alias.asname or alias.name
                text = "from %s import %s" % (module, alias.name + (" as " + alias.asname if alias.asname else ""))
                self.define(name, "import" if node.level == 0 else "value", node, imports=[text],
                            module=module.split(".")[0] if node.level == 0 else None)

    def visit_Assign(self, node):
        self.visit(node.value)
        for target in node.targets:
            self.assign_target(target, node)
            names = target_names(target)
            if isinstance(node.value, (ast.Name, ast.Subscript, ast.Attribute)) or \
                    (isinstance(target, (ast.Tuple, ast.List)) and isinstance(node.value, (ast.Tuple, ast.List, ast.Name))):
                self.alias(names, node.value)
            else:
                self.alias(names, None)
        if self.owner is None and not self.scopes and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if isinstance(node.value, ast.Lambda):
                summary = self.summarize(node.value, "function")
                self.notebook.functions[name] = summary
                self.functions[name] = summary
                self.defs[name]["kind"] = "function"
            value = self.notebook.literal_path(node.value)
            if value is not None:
                self.notebook.constants[name] = value

    def assign_target(self, target, node, bind=False):
        for name in mutated_roots(target):
            self.mutate(name, target)
        self.visit_target_expressions(target)
        for name in target_names(target):
            self.bind_name(name, node, bind=bind)

    def visit_target_expressions(self, target):
        """Subscripts and attributes in a target evaluate their index expressions."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.visit_target_expressions(element)
        elif isinstance(target, ast.Starred):
            self.visit_target_expressions(target.value)
        elif isinstance(target, ast.Subscript):
            self.visit_load_chain(target.value)
            self.visit(target.slice)
        elif isinstance(target, ast.Attribute):
            self.visit_load_chain(target.value)

    def visit_load_chain(self, node):
        if isinstance(node, ast.Name):
            self.load(node.id, node)
        else:
            self.visit(node)

    def bind_name(self, name, node, kind="value", bind=False):
        if self.owner is not None:
            if self.is_global_in_function(name):
                self.owner.writes.add(name)
            return
        if self.scopes:
            return
        self.define(name, kind, node, bind=bind)

    def visit_AugAssign(self, node):
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.load(node.target.id, node.target)
            self.bind_name(node.target.id, node)
        else:
            self.assign_target(node.target, node)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
            self.assign_target(node.target, node)
        if self.owner is None and not self.scopes:
            self.visit(node.annotation)

    def visit_Delete(self, node):
        for target in node.targets:
            if isinstance(target, ast.Name):
                if self.owner is None and not self.scopes:
                    if self.bound.get(target.id) is None:
                        self.read(target.id, target)
                    self.define(target.id, "deleted", node)
            else:
                for name in mutated_roots(target):
                    self.mutate(name, target)
                self.visit_target_expressions(target)

    def visit_For(self, node):
        self.visit(node.iter)
        self.conditional += 1
        self.assign_target(node.target, node, bind=True)  # the loop's body sees it bound
        self.alias(target_names(node.target), node.iter)
        for statement in node.body + node.orelse:
            self.visit(statement)
        self.conditional -= 1

    visit_AsyncFor = visit_For

    def visit_withitem(self, node):
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self.assign_target(node.optional_vars, node.context_expr, bind=True)

    def visit_ExceptHandler(self, node):
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.bind_name(node.name, node, bind=True)
        for statement in node.body:
            self.visit(statement)

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        name = node.target.id
        if self.owner is None and all(kind == "comprehension" for kind, _, _ in self.scopes):
            self.conditional += 1
            self.define(name, "value", node)
            self.conditional -= 1
        elif self.owner is not None and self.is_global_in_function(name):
            self.owner.writes.add(name)

    def visit_Global(self, node):
        if self.owner is None and not self.scopes:
            return

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Await) and self.owner is None and not self.scopes:
            self.warn(node, "top-level await works in Jupyter only", "wrap it: asyncio.run(main())")
        outer, self.expression = self.expression, node.value
        self.visit(node.value)
        self.expression = outer

    def visit_Await(self, node):
        if self.owner is None and not self.scopes and node is not self.expression:
            self.warn(node, "top-level await works in Jupyter only", "wrap it: asyncio.run(main())")
        self.generic_visit(node)

    # Names ---------------------------------------------------------------

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self.load(node.id, node)
        elif isinstance(node.ctx, ast.Store):
            self.bind_name(node.id, node)

    def load(self, name, node):
        if not self.is_global_in_function(name):
            return
        if self.owner is not None:
            self.owner.reads.setdefault(name, True)
            if name in self.notebook.functions:
                self.owner.calls.add(name)
            return
        self.read(name, node)

    # Scopes --------------------------------------------------------------

    def summarize(self, node, kind):
        """A function's (or class's) summary: what its body does to globals when it runs."""
        params = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            params = [a.arg for a in arguments.posonlyargs + arguments.args]
        summary = Summary(kind, params)
        outer_owner, outer_scopes, outer_aliases = self.owner, self.scopes, self.aliases
        self.owner, self.scopes, self.aliases = summary, [], {}
        self.enter(node)
        self.owner, self.scopes, self.aliases = outer_owner, outer_scopes, outer_aliases
        for expression in header_expressions(node):
            for sub in ast.walk(expression):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                    summary.reads.setdefault(sub.id, True)
        for called in list(summary.calls):
            callee = self.notebook.functions.get(called)
            if callee is not None and callee is not summary:
                summary.reads.update(callee.reads)
                summary.writes |= callee.writes
                summary.mutations |= callee.mutations
                summary.paths += callee.paths
        return summary

    def enter(self, node):
        """Visits the body of a function, lambda, class or comprehension in its own scope."""
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            bound, declared = scope_bindings(node)
            self.visit(node.generators[0].iter)
            self.scopes.append(("comprehension", bound, declared))
            for index, generator in enumerate(node.generators):
                if index:
                    self.visit(generator.iter)
                for condition in generator.ifs:
                    self.visit(condition)
            for part in ("elt", "key", "value"):
                if hasattr(node, part):
                    self.visit(getattr(node, part))
            self.scopes.pop()
            return
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        bound, declared = scope_bindings(node)
        self.scopes.append((kind, bound, declared))
        body = node.body if isinstance(node.body, list) else [node.body]
        for statement in body:
            self.visit(statement)
        self.scopes.pop()

    def visit_ListComp(self, node):
        self.enter(node)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    def definition_header(self, node):
        for decorator in node.decorator_list:
            self.visit(decorator)
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                self.visit(base)
            for keyword in node.keywords:
                self.visit(keyword.value)
        else:
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self.visit(default)

    def visit_FunctionDef(self, node):
        self.definition_header(node)
        top = self.owner is None and not self.scopes
        if top:
            summary = self.summarize(node, "function")
            self.define(node.name, "function", node)
            self.notebook.functions[node.name] = summary
            self.functions[node.name] = summary
        else:
            if self.owner is not None and self.is_global_in_function(node.name):
                self.owner.writes.add(node.name)
            self.enter(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.definition_header(node)
        top = self.owner is None and not self.scopes
        if top:
            summary = self.summarize(node, "class")
            # A class body runs now: what it reads is read by this cell as well.
            for name in summary.reads:
                if self.bound.get(name) is None and name not in self.reads and name not in BUILTIN_NAMES:
                    self.reads[name] = {"name": name, "line": node.lineno, "col": node.col_offset + 1, "via": node.name}
            self.define(node.name, "class", node)
            self.notebook.functions[node.name] = summary
            self.functions[node.name] = summary
        else:
            self.enter(node)

    def visit_Lambda(self, node):
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        if self.owner is None:
            # A lambda used at top level (sorted(key=...), df.apply(...)) runs now: its reads are this cell's.
            bound, declared = scope_bindings(node)
            self.scopes.append(("function", bound, declared))
            self.visit(node.body)
            self.scopes.pop()
        else:
            self.enter(node)

    # Calls ---------------------------------------------------------------

    def visit_Call(self, node):
        self.generic_visit(node)
        name = call_name(node.func)
        at_top = self.owner is None
        if isinstance(node.func, ast.Name) and name in STATE_CALLS and at_top and self.load_is_global(name):
            self.warn(node, "`%s()` %s" % (name, STATE_CALLS[name]),
                      "name the values it touches in plain assignments; splitbook carries only names it can see")
        if isinstance(node.func, ast.Attribute):
            root = root_name(node.func.value)
            if root is not None:
                self.method_call(node, root, name)
        elif isinstance(node.func, ast.Name) and name in self.notebook.functions and self.load_is_global(name):
            callee = self.notebook.functions[name]
            for index in sorted(callee.param_mutations):
                if index < len(node.args) and isinstance(node.args[index], ast.Name):
                    self.mutate(node.args[index].id, node.args[index])
        if name in ARGUMENT_MUTATORS and node.args and isinstance(node.args[0], ast.Name):
            self.mutate(node.args[0].id, node.args[0])
        self.file_call(node, name)

    def method_call(self, node, root, method):
        module = self.notebook.module_of(root) if self.load_is_global(root) else None
        if module is not None:
            if self.owner is None and not self.scopes:
                simple = self.conditional == 0 and isinstance(self.statement, ast.Expr) and self.statement.value is node
                if method in SEED_CALLS:
                    self.warn(node, "seeds %s's global random generator: later cells run in processes of their own and do not see it" % module,
                              "draw from a generator object instead, e.g. rng = numpy.random.default_rng(0) or random.Random(0): "
                              "it is carried to the cells that use it, with its state")
                elif method in CONFIG_CALLS and simple:
                    self.setups.append({"module": root, "text": ast.get_source_segment(self.notebook.source, self.statement), "line": node.lineno})
            return
        if self.owner is not None and not self.load_is_global(root) and root not in self.owner.params:
            return
        keywords = {k.arg: k.value for k in node.keywords}
        inplace = isinstance(keywords.get("inplace"), ast.Constant) and keywords["inplace"].value is True
        discarded = node is self.expression and (self.display_statement is None or node is not self.display_statement.value)
        if method in MUTATORS or inplace or (discarded and method not in PURE_METHODS and not method.startswith("to_")):
            self.mutate(root, node.func)

    def file_call(self, node, name):
        if name is None:
            return
        mode = None
        if name == "open" or (name in ("open",) and isinstance(node.func, ast.Attribute)):
            mode_node = node.args[1] if len(node.args) > 1 else {k.arg: k.value for k in node.keywords}.get("mode")
            mode = mode_node.value if isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, str) else "r"
            if isinstance(node.func, ast.Attribute) and self.notebook.literal_path(node.func.value) is not None:
                # Path(...).open(mode): the path is the object's, the mode the first argument.
                mode_node = node.args[0] if node.args else {k.arg: k.value for k in node.keywords}.get("mode")
                mode = mode_node.value if isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, str) else "r"
                self.add_path(self.notebook.literal_path(node.func.value), "write" if set(mode) & set("wax+") else "read", node)
                return
            path_node = node.args[0] if node.args else {k.arg: k.value for k in node.keywords}.get("file")
            direction = "write" if set(mode) & set("wax+") else "read"
        elif name in READERS:
            direction, path_node = "read", None
        elif name in WRITERS:
            direction, path_node = "write", None
        else:
            return
        if path_node is None:
            # Path("x").read_text(): the object is the path.
            if isinstance(node.func, ast.Attribute) and name in ("read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "glob"):
                path = self.notebook.literal_path(node.func.value)
                if path is not None:
                    self.add_path(path, direction, node)
                    return
            candidates = list(node.args) + [k.value for k in node.keywords if k.arg in PATH_KEYWORDS]
            literal = [p for p in (self.notebook.literal_path(c) for c in candidates) if p is not None]
            if literal:
                path = literal[0]
                if name in ("glob", "iglob"):
                    path = re.split(r"[*?\[]", path)[0].rsplit("/", 1)[0] if re.search(r"[*?\[]", path) else path
                    if not path:
                        return
                self.add_path(path, direction, node)
            elif (name in PATH_READERS and direction == "read") or (name in PATH_WRITERS and direction == "write"):
                first = node.args[0] if node.args else None
                if first is not None and not isinstance(first, ast.Constant) and self.owner is None:
                    self.warn(node, "%s a file whose path is computed: splitbook cannot declare it" % ("reads" if direction == "read" else "writes"),
                              "declare it by hand in the cell's `%s:`" % ("inputs" if direction == "read" else "outputs"))
            return
        path = self.notebook.literal_path(path_node)
        if path is not None:
            self.add_path(path, direction, node)
        elif path_node is not None and not isinstance(path_node, ast.Constant) and self.owner is None:
            self.warn(node, "opens a file whose path is computed: splitbook cannot declare it",
                      "declare it by hand in the cell's `%s:`" % ("inputs" if direction == "read" else "outputs"))

    def add_path(self, path, direction, node):
        if "://" in path or not path:
            return
        entry = {"path": path, "mode": direction, "line": node.lineno, "col": node.col_offset + 1,
                 "conditional": self.conditional > 0}
        if self.owner is not None:
            self.owner.paths.append(entry)
        else:
            self.paths.append(entry)


class Notebook:
    """The state every cell sees: which names are functions, modules, literal paths."""

    def __init__(self):
        self.functions = {}
        self.modules = {}
        self.constants = {}
        self.star_imports = []
        self.current = None
        self.source = ""

    def module_of(self, name):
        return self.modules.get(name)

    def rebind(self, name, kind, cell, module=None):
        if kind != "function" and kind != "class":
            self.functions.pop(name, None)
        if module is not None:
            self.modules[name] = module
        elif kind != "import":
            self.modules.pop(name, None)
        self.constants.pop(name, None)

    def literal_path(self, node):
        """The string a path expression always evaluates to, or None."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
            return "".join(v.value for v in node.values)
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)):
            left, right = self.literal_path(node.left), self.literal_path(node.right)
            if left is not None and right is not None:
                return left + ("/" if isinstance(node.op, ast.Div) else "") + right
            return None
        if isinstance(node, ast.Call) and call_name(node.func) in ("Path", "PurePath", "PosixPath", "join") and node.args and not node.keywords:
            if call_name(node.func) == "join" and not (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "path"):
                return None
            parts = [self.literal_path(arg) for arg in node.args]
            if all(part is not None for part in parts):
                return "/".join(parts)
        return None


def tagged(value):
    """A literal as a typed JSON value (so 1.0 stays a float on the Swift side)."""
    if value is None:
        return {"t": "null"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": value} if -2**63 <= value < 2**63 else None
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)} if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, str):
        return {"t": "str", "v": value}
    if isinstance(value, (list, tuple)):
        items = [tagged(v) for v in value]
        return {"t": "list", "v": items} if all(i is not None for i in items) else None
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return None
        items = {k: tagged(v) for k, v in value.items()}
        return {"t": "dict", "v": items} if all(i is not None for i in items.values()) else None
    return None


def parameters(source, tree, report):
    """Literal `name = value` statements of a `parameters` cell -> params; the rest stays code."""
    values, kept, lines = [], [], source.split("\n")
    removed = set()
    for statement in tree.body:
        target = statement.targets[0] if isinstance(statement, ast.Assign) and len(statement.targets) == 1 else \
            (statement.target if isinstance(statement, ast.AnnAssign) and statement.value is not None else None)
        value = None
        if isinstance(target, ast.Name) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", target.id):
            try:
                value = tagged(ast.literal_eval(statement.value))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                value = None
        if value is not None:
            values.append({"name": target.id, "value": value, "line": statement.lineno})
            removed.update(range(statement.lineno, statement.end_lineno + 1))
        elif not isinstance(statement, (ast.Expr, ast.Import, ast.ImportFrom)):
            node = statement
            report.add("warning", node.lineno, node.col_offset + 1, len(lines[node.lineno - 1]) - node.col_offset,
                       "this statement of the parameters cell is not `name = literal`: kept as code, not a param",
                       "a param's default is a number, string, boolean, null, list or mapping of those")
    remaining = "\n".join("" if number in removed else line for number, line in enumerate(lines, start=1))
    return values, remaining


def show_wrapped(source, statement):
    """The cell text with its last expression shown the way Jupyter shows it (`splitbook.show(...)`)."""
    lines = source.split("\n")
    start, end = statement.lineno - 1, statement.end_lineno - 1
    first = lines[start].encode()
    last_line = lines[end].encode()
    value = statement.value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("print", "display"):
        return source, False
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in RETURNS_NONE:
        return source, False  # rows.append(...), model.fit(...) as the last line: shown only when it returns something

    end_offset = statement.end_col_offset
    opening, closing = b"splitbook.show(", b")"
    if isinstance(value, ast.Tuple) and not first[statement.col_offset:].startswith(b"("):
        opening, closing = b"splitbook.show((", b"))"  # `a, b` shows the tuple, as Jupyter does
    if start == end:
        line = first[:statement.col_offset] + opening + first[statement.col_offset:end_offset] + closing + first[end_offset:]
        lines[start] = line.decode()
    else:
        lines[start] = (first[:statement.col_offset] + opening + first[statement.col_offset:]).decode()
        lines[end] = (last_line[:end_offset] + closing + last_line[end_offset:]).decode()
    return "\n".join(lines), True


def analyze(cells):
    notebook = Notebook()
    out = []
    parameters_seen = False
    for cell in cells:
        report = Report()
        pip = {"requirements": [], "files": []}
        env = []
        notebook.current = cell["number"]
        python, language = strip_magics(cell["source"], report, pip, env)
        result = {"number": cell["number"], "language": language, "body": python, "reads": [], "defs": [], "mutations": [],
                  "functions": {}, "paths": [], "imports": [], "setups": [], "requirements": pip["requirements"],
                  "requirementFiles": pip["files"], "env": env, "plots": False, "parameters": None, "future": [],
                  "display": False, "warnings": report.items}
        out.append(result)
        if language != "python":
            continue
        try:
            tree = ast.parse(python)
        except SyntaxError as error:
            report.add("warning", error.lineno or 1, error.offset or 1, 1,
                       "the cell is not valid Python (%s): kept as written, the names it defines are not followed" % error.msg)
            continue
        if cell.get("parameters"):
            if parameters_seen:
                report.add("warning", 1, 1, 1, "a second `parameters` cell: only the first becomes params; this one stays code")
            else:
                parameters_seen = True
                values, python = parameters(python, tree, report)
                result["parameters"] = values
                for value in values:
                    notebook.rebind(value["name"], "param", None)
                    if value["value"]["t"] == "str":
                        notebook.constants[value["name"]] = value["value"]["v"]
                result["body"] = python
                tree = ast.parse(python)
        future = [s for s in tree.body if isinstance(s, ast.ImportFrom) and s.module == "__future__"]
        if future:
            lines = python.split("\n")
            result["future"] = [ast.get_source_segment(python, s) for s in future]
            drop = {n for s in future for n in range(s.lineno, s.end_lineno + 1)}
            python = "\n".join(line if n not in drop else "" for n, line in enumerate(lines, start=1))
            tree = ast.parse(python)
        notebook.source = python
        analysis = Cell(notebook, report, python.split("\n"))
        analysis.run(tree)
        if analysis.display_statement is not None:
            python, shown = show_wrapped(python, analysis.display_statement)
            result["display"] = shown
        result.update({
            "body": python,
            "reads": list(analysis.reads.values()),
            "defs": list(analysis.defs.values()),
            "mutations": list(analysis.mutations.values()),
            "functions": {name: s.as_json() for name, s in analysis.functions.items() if analysis.defs.get(name, {}).get("kind") in ("function", "class")},
            "paths": analysis.paths,
            "imports": analysis.imports,
            "setups": [s for s in analysis.setups if s["text"]],
            "plots": analysis.plots,
        })
    return out


def distributions(modules):
    """module -> the installed distributions that provide it, where this Python has them."""
    try:
        from importlib.metadata import packages_distributions
        known = packages_distributions()
    except Exception:
        return {}
    return {module: sorted(set(known[module])) for module in modules if module in known}


class Refusal(Exception):
    """The file is not a notebook this analysis reads: a message, and where when known."""

    def __init__(self, message, line=None, col=None):
        Exception.__init__(self, message)
        self.message, self.line, self.col = message, line, col


def read_notebook(path):
    """The cells of an nbformat 4 notebook: [{"number", "type", "source", "tags"}], and its title."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise Refusal("not UTF-8 text (byte 0x%02x)" % raw[error.start], line, col)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise Refusal("not JSON: %s" % error.msg, error.lineno, error.colno)
    except RecursionError:
        raise Refusal("not a notebook: JSON nested too deeply")
    if not isinstance(document, dict):
        raise Refusal("not a Jupyter notebook: the document is a JSON %s, not an object" % type(document).__name__, 1, 1)
    version = document.get("nbformat")
    if "worksheets" in document or version in (1, 2, 3):
        raise Refusal("nbformat %s: splitbook import reads nbformat 4; upgrade it with "
                      "`jupyter nbconvert --to notebook --nbformat 4 NOTEBOOK.ipynb` or by saving it in Jupyter" % version)
    if version != 4:
        raise Refusal("not a Jupyter notebook: 'nbformat' is %s, expected 4" % json.dumps(version) if "nbformat" in document
                      else "not a Jupyter notebook: no 'nbformat' key (expected nbformat 4)")
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise Refusal("not a Jupyter notebook: 'cells' is %s, expected a list" % ("missing" if cells is None else "a JSON " + type(cells).__name__))
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    language = (metadata.get("kernelspec") or {}).get("language") or (metadata.get("language_info") or {}).get("name")
    if isinstance(language, str) and language.lower() not in ("python", "python3", "ipython", "ipython3"):
        raise Refusal("the notebook's kernel language is %s: splitbook import reads Python notebooks" % language)
    out = []
    for index, cell in enumerate(cells):
        where = "cells[%d] (cell %d)" % (index, index + 1)
        if not isinstance(cell, dict):
            raise Refusal("%s is not an object" % where)
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            raise Refusal("%s: 'cell_type' is %s, expected \"code\", \"markdown\" or \"raw\"" % (where, json.dumps(kind)))
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise Refusal("%s: 'source' must be a string or a list of strings" % where)
        cell_metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        tags = cell_metadata.get("tags") if isinstance(cell_metadata.get("tags"), list) else []
        out.append({"number": index + 1, "type": kind, "source": source.replace("\r\n", "\n"),
                    "tags": [t for t in tags if isinstance(t, str)]})
    return out


def main():
    try:
        cells = read_notebook(sys.argv[1])
    except Refusal as refusal:
        json.dump({"error": {"message": refusal.message, "line": refusal.line, "col": refusal.col}}, sys.stdout)
        return
    except OSError as error:
        json.dump({"error": {"message": "cannot read it: %s" % (error.strerror or error)}}, sys.stdout)
        return
    code = [{"number": c["number"], "source": c["source"], "parameters": "parameters" in c["tags"]}
            for c in cells if c["type"] == "code" and c["source"].strip()]
    analysis = analyze(code)
    modules = sorted({entry["module"] for cell in analysis for entry in cell["imports"]})
    # Only a notebook with %pip lines gets a python: block, and only then are the other imports mapped to
    # distributions (scanning every installed distribution costs about 0.1 s).
    wanted = any(cell["requirements"] or cell["requirementFiles"] for cell in analysis)
    json.dump({"cells": cells, "analysis": analysis, "distributions": distributions(modules) if wanted else {},
               "builtins": sorted(BUILTIN_NAMES), "python": "%d.%d.%d" % sys.version_info[:3]}, sys.stdout)


if __name__ == "__main__":
    main()
"""#
}
