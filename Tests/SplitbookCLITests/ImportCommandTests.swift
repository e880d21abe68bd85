import Foundation
import SplitbookTestSupport
import Testing

/// CONTRACT §13: `splitbook import` turns a Jupyter notebook's hidden kernel
/// state into declared, cached edges. Every test writes its `.ipynb` itself
/// and runs the real binary.
@Suite struct ImportCommandTests {
    /// A cell of a test notebook: `code`, `markdown` or `raw`, its text and tags.
    struct Cell {
        var type = "code"
        var source: String
        var tags: [String] = []

        static func code(_ source: String, tags: [String] = []) -> Cell { Cell(source: source, tags: tags) }
        static func markdown(_ source: String) -> Cell { Cell(type: "markdown", source: source) }
    }

    /// nbformat 4 JSON for `cells` (sources as lists of lines, as Jupyter writes them).
    static func ipynb(_ cells: [Cell]) throws -> String {
        let list: [[String: Any]] = cells.map { cell in
            var lines = cell.source.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) + "\n" }
            if let last = lines.last { lines[lines.count - 1] = String(last.dropLast()) }
            var json: [String: Any] = ["cell_type": cell.type, "metadata": ["tags": cell.tags], "source": lines]
            if cell.type == "code" {
                json["outputs"] = []
                json["execution_count"] = NSNull()
            }
            return json
        }
        let document: [String: Any] = [
            "nbformat": 4, "nbformat_minor": 5, "cells": list,
            "metadata": ["kernelspec": ["name": "python3", "language": "python", "display_name": "Python 3"]],
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }

    /// A scratch directory holding `nb.ipynb` and the given files.
    struct Workspace {
        let dir: TemporaryDirectory

        init(_ cells: [Cell], files: [String: String] = [:]) throws {
            dir = try TemporaryDirectory("sb-import")
            try dir.write("nb.ipynb", try ImportCommandTests.ipynb(cells))
            for (path, text) in files { try dir.write(path, text) }
        }

        func splitbook(_ arguments: [String], environment: [String: String]? = nil) throws -> Binary.Result {
            try Binary.run(arguments, in: dir.url, environment: environment)
        }

        /// `splitbook import nb.ipynb` (plus `extra`), which must succeed.
        @discardableResult
        func importNotebook(_ extra: [String] = []) throws -> Binary.Result {
            let result = try splitbook(["import", "nb.ipynb"] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            return result
        }

        var yaml: String { read("nb.yaml") ?? "" }

        func read(_ path: String) -> String? { try? String(contentsOf: dir.url.appendingPathComponent(path), encoding: .utf8) }

        func write(_ path: String, _ text: String) throws { try dir.write(path, text) }

        /// `splitbook run nb.yaml --json`.
        func run(_ extra: [String] = [], environment: [String: String]? = nil) throws -> Run {
            let result = try splitbook(["run", "nb.yaml", "--json"] + extra, environment: environment)
            return Run(result: result, report: try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)))
        }

        /// What a cell printed in that run.
        func stdout(_ run: Run, _ cell: String) -> String? {
            guard let digest = run.cell(cell)?.stdout else { return nil }
            return read("outputs/.splitbook/objects/\(digest)")
        }

        /// The `code:` block of cell `id` in the YAML, as text.
        func code(of id: String) -> String {
            let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            guard let start = lines.firstIndex(of: "  - id: \(id)") else { return "" }
            let rest = lines[(start + 1)...]
            let end = rest.firstIndex { $0.hasPrefix("  - ") } ?? lines.endIndex
            return lines[start..<end].joined(separator: "\n")
        }

        /// Replaces `old` with `new` in the YAML (an edit a user makes).
        func edit(_ old: String, _ new: String) throws {
            let text = yaml
            #expect(text.contains(old), "the YAML holds \(old)")
            try write("nb.yaml", text.replacingOccurrences(of: old, with: new))
        }

        func remove() { dir.remove() }
    }

    /// A run's exit status, output and parsed `--json` report.
    struct Run {
        let result: Binary.Result
        let report: Report?

        var statuses: [String: String] { Dictionary(uniqueKeysWithValues: (report?.cells ?? []).map { ($0.id, $0.status) }) }
        /// The cells that executed, in report order.
        var ran: [String] { (report?.cells ?? []).filter { $0.status == "ran" }.map(\.id) }
        func cell(_ id: String) -> Report.Cell? { report?.cells.first { $0.id == id } }
    }

    // MARK: the whole path

    /// The notebook of the README: data loading, a function used in three cells, in-place
    /// mutation, a redefinition, a file written and read back.
    static let analysis: [Cell] = [
        .markdown("# Points\nA small analysis."),
        .code("import csv\nimport json"),
        .code("rows = list(csv.DictReader(open('data/points.csv')))\nprint(len(rows))"),
        .code("def total(rs):\n    return sum(int(r['a']) for r in rs)"),
        .code("rows.append({'a': '10', 'b': '0'})\nprint('total', total(rows))"),
        .code("best = max(int(r['a']) for r in rows)\nprint('best', best, 'of', total(rows))"),
        .code("with open('summary.json', 'w') as f:\n    json.dump({'total': total(rows), 'best': best}, f)"),
        .code("print(json.load(open('summary.json')))"),
        .code("rows = [r for r in rows if r['b'] != '0']\nlen(rows)"),
        .code("print('last', len(rows))"),
    ]

    static let points = "a,b\n1,2\n3,4\n"

    @Test func importedNotebookChecksRunsRerunsCachedAndAnEditRerunsExactlyItsReaders() throws {
        let w = try Workspace(Self.analysis, files: ["data/points.csv": Self.points])
        defer { w.remove() }
        let imported = try w.importNotebook()
        #expect(imported.stderr.contains("imported nb.ipynb -> nb.yaml"), "\(imported.stderr)")
        let yaml = w.yaml
        #expect(yaml.contains("title: Points"))
        #expect(yaml.contains("  - markdown: |-\n      # Points\n      A small analysis."), "\(yaml)")
        // the reading cell declares the defining cell's value as an input and loads it
        #expect(w.code(of: "cell-5").contains("inputs: [vars/rows/rows, vars/total/total]"), "\(yaml)")
        #expect(w.code(of: "cell-5").contains("rows = splitbook.load(\"vars/rows/rows\")"))
        #expect(w.code(of: "cell-5").contains("splitbook.save(\"vars/cell-5/rows\", rows)"), "an in-place change makes a new version")
        #expect(w.code(of: "rows").contains("inputs: [data/points.csv]"), "a literal path read becomes an input")
        #expect(w.code(of: "f").contains("outputs: [summary.json]"), "a literal path written becomes an output: \(yaml)")
        #expect(w.code(of: "cell-8").contains("inputs: [summary.json]"), "the file an earlier cell writes is an edge")
        #expect(w.code(of: "rows-2").contains("splitbook.show(len(rows))"), "the last expression is shown, as Jupyter shows it")

        let check = try w.splitbook(["check", "nb.yaml"])
        #expect(check.status == 0)
        #expect(check.stdout == "nb.yaml: ok: 9 code cells (9 offline, 0 online)\n", "\(check.stdout)\(check.stderr)")
        #expect(check.stderr == "")

        let first = try w.run()
        #expect(first.result.status == 0, "\(first.result.stdout)\(first.result.stderr)")
        #expect(first.ran.count == 9)
        #expect(w.stdout(first, "rows") == "2\n")
        #expect(w.stdout(first, "cell-5") == "total 14\n", "sees the function and the rows of earlier cells")
        #expect(w.stdout(first, "best") == "best 10 of 14\n", "sees the appended row: the version after the mutation")
        #expect(w.stdout(first, "cell-8") == "{'total': 14, 'best': 10}\n")
        #expect(w.stdout(first, "rows-2") == "2\n")
        #expect(w.stdout(first, "cell-10") == "last 2\n", "sees the redefinition")

        let second = try w.run()
        #expect(second.result.status == 0)
        #expect(second.ran.isEmpty, "a rerun is fully cached: \(second.statuses)")

        // Editing the function reruns it and the cells that call it; the rest stays cached.
        try w.edit("    return sum(int(r['a']) for r in rs)", "    return sum(int(r['a']) * 2 for r in rs)")
        let edited = try w.run()
        #expect(edited.result.status == 0, "\(edited.result.stdout)")
        #expect(Set(edited.ran) == ["total", "cell-5", "best", "f", "cell-8"], "\(edited.statuses)")
        #expect(w.stdout(edited, "best") == "best 10 of 28\n")
    }

    @Test func aFunctionUsedInThreeCellsIsASourceTheyDependOn() throws {
        let w = try Workspace([
            .code("def area(w, h):\n    return w * h\n\nprint('defined')"),
            .code("print(area(2, 3))"),
            .code("print(area(4, 5))"),
            .code("print(area(1, 1))"),
            .code("print('unrelated')"),
        ])
        defer { w.remove() }
        try w.importNotebook()
        let code = w.code(of: "area")
        #expect(code.contains("outputs: [vars/area/area]"), "\(w.yaml)")
        #expect(w.read("nb.yaml")?.components(separatedBy: "inputs: [vars/area/area]").count == 4, "three readers")
        let first = try w.run()
        #expect(first.ran.count == 5)
        #expect(w.stdout(first, "cell-3") == "20\n")
        #expect(w.read("outputs/nb/vars/area/area")?.hasPrefix("{\"format\": \"source\"") == true, "a function travels as its source")

        // An edit elsewhere in the defining cell reruns it; the function's source is the same bytes, so its readers stay cached.
        try w.edit("print('defined')", "print('defined here')")
        let elsewhere = try w.run()
        #expect(elsewhere.ran == ["area"], "\(elsewhere.statuses)")
        #expect(elsewhere.cell("cell-2")?.earlyCutoff == true || elsewhere.statuses["cell-2"] == "cached")

        // Editing the function reruns exactly the three callers.
        try w.edit("    return w * h", "    return w * h + 1")
        let edited = try w.run()
        #expect(Set(edited.ran) == ["area", "cell-2", "cell-3", "cell-4"], "\(edited.statuses)")
        #expect(w.stdout(edited, "cell-3") == "21\n")
    }

    @Test func redefinitionsAreVersionedSoEachReaderSeesWhatJupyterShowed() throws {
        let w = try Workspace([
            .code("x = 1\nitems = [1]"),
            .code("print('a', x, items)"),
            .code("x = x + 10\nitems.append(2)"),
            .code("print('b', x, items)"),
            .code("class Counter:\n    def __init__(self):\n        self.n = 0\n    def bump(self):\n        self.n += 1"),
            .code("c = Counter()\nc.bump()"),
            .code("c.bump()\nprint('c', c.n)"),
            .code("if x > 100:\n    y = 1"),
            .code("try:\n    print('d', y)\nexcept NameError:\n    print('d', 'no y')"),
        ])
        defer { w.remove() }
        try w.importNotebook()
        #expect(w.code(of: "x-2").contains("x = splitbook.load(\"vars/x/x\")"), "\(w.yaml)")
        #expect(w.code(of: "x-2").contains("outputs: [vars/x-2/x, vars/x-2/items]"), "\(w.yaml)")
        #expect(w.code(of: "cell-8").contains("splitbook.save(\"vars/cell-8/y\", globals().get(\"y\", splitbook.MISSING))"), "\(w.yaml)")
        #expect(w.code(of: "cell-9").contains("if y is splitbook.MISSING: del y"), "\(w.yaml)")
        let run = try w.run()
        #expect(run.result.status == 0, "\(run.result.stdout)")
        #expect(w.stdout(run, "cell-2") == "a 1 [1]\n")
        #expect(w.stdout(run, "cell-4") == "b 11 [1, 2]\n")
        #expect(w.stdout(run, "cell-7") == "c 2\n", "an instance of a notebook class, changed by a method, is carried with its state")
        #expect(w.stdout(run, "cell-9") == "d no y\n", "a conditional definition that did not happen leaves the name undefined")
    }

    @Test func aParametersCellBecomesParamsReadOnlyByTheCellsThatUseThem() throws {
        let w = try Workspace([
            .code("n = 3\nrate = 0.5\nname = 'demo'\nlayers = [8, 4]", tags: ["parameters"]),
            .code("print(n * rate, type(rate).__name__)"),
            .code("print(name, layers)"),
            .code("print('no params here')"),
        ])
        defer { w.remove() }
        try w.importNotebook()
        let yaml = w.yaml
        #expect(yaml.contains("params:\n  \"n\": 3\n  rate: 0.5\n  name: demo\n  layers: [8,4]\n"), "\(yaml)")
        #expect(w.code(of: "cell-2").contains("params: [\"n\", rate]"), "\(yaml)")
        #expect(w.code(of: "cell-2").contains("n = splitbook.params[\"n\"]"))
        #expect(w.code(of: "cell-3").contains("params: [name, layers]"))
        #expect(w.code(of: "cell-4").contains("params: []"))
        #expect(!yaml.contains("n = 3"), "the literals are params now, not code")
        let first = try w.run()
        #expect(w.stdout(first, "cell-2") == "1.5 float\n", "a float param stays a float")
        let changed = try w.run(["-p", "n=10"])
        #expect(changed.ran == ["cell-2"], "\(changed.statuses)")
        #expect(w.stdout(changed, "cell-2") == "5.0 float\n")
    }

    @Test func pipInstallLinesBecomeRequirementsAndTheNotebookRunsInThem() throws {
        let w = try Workspace([
            .code("%pip install -q demo-pkg==1.0\nimport demo_pkg"),
            .code("print(demo_pkg.VERSION)"),
        ])
        defer { w.remove() }
        let imported = try w.importNotebook(["--verbose"])
        #expect(w.yaml.contains("python: {requirements: [\"demo-pkg==1.0\"]}"), "\(w.yaml)")
        #expect(w.code(of: "imports").contains("# %pip install -q demo-pkg==1.0"), "\(w.yaml)")
        #expect(imported.stderr.contains("nb.ipynb:cell 1:1:1: note: `pip install` becomes the notebook's `python.requirements`"), "\(imported.stderr)")
        #expect(w.code(of: "cell-2").contains("import demo_pkg"), "the import is repeated where the module is used")
        let check = try w.splitbook(["check", "nb.yaml"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(!check.stderr.contains("warning"), "the requirement provides the import: \(check.stderr)")

        let index = try LocalIndex(in: w.dir)
        try index.wheel("demo-pkg", "1.0")
        let run = try w.run(environment: try index.environment(.pip))
        #expect(run.result.status == 0, "\(run.result.stdout)\(run.result.stderr)")
        #expect(w.stdout(run, "cell-2") == "1.0\n")
    }

    @Test func whatCannotBeFollowedIsReportedAtItsCellAndLine() throws {
        let w = try Workspace([
            .code("import os\nfrom math import *"),
            .code("value = sqrt(4)\nexec('hidden = 1')\nglobals()['other'] = 2"),
            .code("%cd /tmp\n!ls -la\nfiles = !ls\n%matplotlib inline"),
            .code("import random\nrandom.seed(0)"),
            .code("print(later)"),
            .code("later = 1"),
        ])
        defer { w.remove() }
        let result = try w.importNotebook()
        let err = result.stderr
        #expect(err.contains("nb.ipynb:cell 1:2:1: warning: star import from 'math': the names it defines cannot be followed\n    from math import *\n    ^~~~~~~~~~~~~~~~~~"), "\(err)")
        #expect(err.contains("nb.ipynb:cell 2:1:9: warning: reads 'sqrt', which no earlier cell defines"), "\(err)")
        #expect(err.contains("note: it may come from the star import in cell 1"))
        #expect(err.contains("nb.ipynb:cell 2:2:1: warning: `exec()` runs code the analysis cannot see"))
        #expect(err.contains("nb.ipynb:cell 2:3:1: warning: `globals()` reads or writes names the analysis cannot see"))
        #expect(err.contains("nb.ipynb:cell 3:1:1: warning: magic `%cd` is not Python: commented out, not run"))
        #expect(err.contains("nb.ipynb:cell 3:2:1: warning: shell line `!ls -la`: commented out, not run"))
        #expect(err.contains("nb.ipynb:cell 3:3:1: warning: assignment from a shell command or magic: not carried over"))
        #expect(!err.contains("%matplotlib"), "front-end magics are notes, shown with --verbose")
        #expect(err.contains("nb.ipynb:cell 4:2:1: warning: seeds random's global random generator"))
        #expect(err.contains("nb.ipynb:cell 5:1:7: warning: reads 'later', which no earlier cell defines"))
        #expect(err.contains("note: cell 6 defines it later: in Jupyter this worked only because the cells ran out of order"))
        #expect(err.contains("9 warnings"), "\(err)")
        #expect(w.code(of: "cell-3").contains("      # %cd /tmp\n      # !ls -la\n      # files = !ls\n      # %matplotlib inline"), "\(w.yaml)")
        let check = try w.splitbook(["check", "nb.yaml"])
        #expect(check.status == 0, "the warnings are the import's; the YAML itself checks: \(check.stderr)")
    }

    @Test func literalPathsBecomeInputsAndOutputs() throws {
        let w = try Workspace([
            .code("from pathlib import Path\nimport os\nDATA = 'data'"),
            .code("text = open(os.path.join(DATA, 'in.txt')).read()\nlines = Path('data/in.txt').read_text().splitlines()"),
            .code("open('out/upper.txt', 'w').write(text.upper())"),
            .code("print(open('out/upper.txt').read().strip())"),
            .code("print(open('data/missing.txt').read())"),
        ], files: ["data/in.txt": "hello\n"])
        defer { w.remove() }
        let result = try w.importNotebook()
        #expect(w.code(of: "text").contains("inputs: [vars/data/DATA, data/in.txt]"), "a path built from literals is an input: \(w.yaml)")
        #expect(w.code(of: "cell-3").contains("outputs: [out/upper.txt]"), "\(w.yaml)")
        #expect(w.code(of: "cell-4").contains("inputs: [out/upper.txt]"), "\(w.yaml)")
        #expect(result.stderr.contains("nb.ipynb:cell 5:1:7: warning: reads 'data/missing.txt', which does not exist under the notebook's directory"),
                "\(result.stderr)")
        try FileManager.default.removeItem(at: w.dir.url.appendingPathComponent("nb.yaml"))
        // Without the failing last cell the notebook runs; the written file reaches the reader.
        try w.write("nb.ipynb", try Self.ipynb([
            .code("text = open('data/in.txt').read()"),
            .code("open('out/upper.txt', 'w').write(text.upper())"),
            .code("print(open('out/upper.txt').read().strip())"),
        ]))
        try w.importNotebook()
        let run = try w.run()
        #expect(run.result.status == 0, "\(run.result.stdout)")
        #expect(w.stdout(run, "cell-3") == "HELLO\n")
        #expect(w.read("outputs/nb/out/upper.txt") == "HELLO\n")
        try w.write("data/in.txt", "changed\n")
        let again = try w.run()
        #expect(Set(again.ran) == ["text", "cell-2", "cell-3"], "an input file changed: \(again.statuses)")
    }

    @Test func badInputIsALocatedErrorAndNothingIsWritten() throws {
        let w = try Workspace([.code("x = 1")])
        defer { w.remove() }
        try w.write("broken.ipynb", "{\n  \"nbformat\": 4,\n  \"cells\": [\n    {\"cell_type\": \"code\",}\n  ]\n}\n")
        let broken = try w.splitbook(["import", "broken.ipynb"])
        #expect(broken.status == 2)
        #expect(broken.stderr.hasPrefix("broken.ipynb:4:26: error: not JSON: Expecting property name enclosed in double quotes"), "\(broken.stderr)")
        #expect(w.read("broken.yaml") == nil)

        try w.write("old.ipynb", "{\"nbformat\": 3, \"worksheets\": []}")
        let old = try w.splitbook(["import", "old.ipynb"])
        #expect(old.status == 2)
        #expect(old.stderr.contains("old.ipynb: error: nbformat 3: splitbook import reads nbformat 4"), "\(old.stderr)")

        try w.write("shape.ipynb", "{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": 5}]}")
        let shape = try w.splitbook(["import", "shape.ipynb"])
        #expect(shape.status == 2)
        #expect(shape.stderr.contains("shape.ipynb: error: cells[0] (cell 1): 'source' must be a string or a list of strings"), "\(shape.stderr)")

        let missing = try w.splitbook(["import", "nowhere.ipynb"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nowhere.ipynb: error: no such file"), "\(missing.stderr)")

        try w.write("nb.yaml", "keep me\n")
        let kept = try w.splitbook(["import", "nb.ipynb"])
        #expect(kept.status == 2)
        #expect(kept.stderr.contains("nb.yaml exists; pass --force to overwrite it"))
        #expect(w.read("nb.yaml") == "keep me\n")
        let forced = try w.splitbook(["import", "nb.ipynb", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(w.read("nb.yaml")?.contains("x = 1") == true)

        let printed = try w.splitbook(["import", "nb.ipynb", "-o", "-"])
        #expect(printed.status == 0)
        #expect(printed.stdout.contains("  - id: x\n    lang: python\n"), "\(printed.stdout)")
        let elsewhere = try w.splitbook(["import", "nb.ipynb", "-o", "notebooks/copy.yaml"])
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect(w.read("notebooks/copy.yaml")?.contains("# Imported from nb.ipynb") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.url.appendingPathComponent("notebooks").path) == ["copy.yaml"],
                "no staging file left behind")
    }

    // MARK: equivalence with running the .ipynb top to bottom

    /// Runs a notebook top to bottom with nbclient, as `jupyter nbconvert --execute` does: the kernel
    /// is ipykernel on the pinned test venv's python (a kernelspec written for this run, found through
    /// a KernelSpecManager that looks nowhere else, so no kernelspec installed on the machine can stand
    /// in), its working directory the copy of the notebook's directory. A probe cell run after the
    /// notebook proves the kernel's interpreter; any error fails the run (nbclient raises).
    /// Prints `{"printed": {CELL NUMBER: TEXT}}`, TEXT a code cell's outputs in order: its stdout
    /// streams, and the text/plain of its execute_result (the last expression) and display_data
    /// (`display(...)`), each with a newline, as `splitbook.show` prints them. stderr streams are not
    /// compared (the imported run's stderr is its log), nor figures (`image/*`: the report's, not stdout).
    static let nbclientRunner = #"""
    import json, os, sys
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    notebook, workdir, kernels = sys.argv[1:4]
    name = "splitbook-test-venv"
    os.makedirs(os.path.join(kernels, name))
    with open(os.path.join(kernels, name, "kernel.json"), "w") as f:
        json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                   "display_name": "splitbook test venv", "language": "python"}, f)
    specs = KernelSpecManager(kernel_dirs=[kernels], ensure_native_kernel=False)
    manager = KernelManager(kernel_name=name, kernel_spec_manager=specs)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
    NotebookClient(nb, km=manager, timeout=120, resources={"metadata": {"path": workdir}}).execute()
    executable = "".join(output.get("text", "") for output in nb.cells.pop().outputs).strip()
    if executable != sys.executable:
        sys.exit("the kernel ran %r, not the test venv's %r" % (executable, sys.executable))
    printed = {}
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        text = ""
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stdout":
                text += output.text
            elif output.output_type in ("execute_result", "display_data"):
                if not any(kind.startswith("image/") for kind in output.data):
                    text += output.data.get("text/plain", "") + "\n"
        printed[str(number)] = text
    print(json.dumps({"printed": printed}))
    """#

    /// The corpus of #18: data loading, feature engineering, a train/evaluate loop with a plot (an
    /// SVG it draws itself, a written file to compare), a parameterised notebook, shadowing and
    /// in-place mutation, a function used in three cells; and what a cell's last expression shows.
    static let corpus: [(name: String, cells: [Cell])] = [
        ("loading", [
            .code("import csv, json\nfrom pathlib import Path"),
            .code("rows = list(csv.DictReader(open('data/points.csv')))\nmeta = json.loads(Path('data/meta.json').read_text())\nlen(rows), meta['source']"),
            .code("numbers = [int(r['a']) for r in rows]\nprint(sum(numbers), meta)"),
        ]),
        ("features", [
            .code("import csv\nrows = list(csv.DictReader(open('data/points.csv')))"),
            .code("for r in rows:\n    r['a'] = int(r['a'])\n    r['b'] = int(r['b'])"),
            .code("mean_a = sum(r['a'] for r in rows) / len(rows)\nfor r in rows:\n    r['a_centered'] = r['a'] - mean_a\nrows[0]"),
            .code("features = {i: (r['a_centered'], r['b'] ** 2) for i, r in enumerate(rows)}\nprint(features)"),
            .code("with open('features.csv', 'w') as f:\n    for i, (x, y) in features.items():\n        f.write(f'{i},{x},{y}\\n')"),
        ]),
        ("training", [
            .code("data = [(x, 3 * x + 1) for x in range(10)]\nw, b = 0.0, 0.0\nlosses = []"),
            .code("def step(w, b, lr):\n    gw = sum(2 * (w * x + b - y) * x for x, y in data) / len(data)\n    gb = sum(2 * (w * x + b - y) for x, y in data) / len(data)\n    return w - lr * gw, b - lr * gb\n\ndef loss(w, b):\n    return sum((w * x + b - y) ** 2 for x, y in data) / len(data)"),
            .code("for epoch in range(200):\n    w, b = step(w, b, 0.01)\n    losses.append(loss(w, b))\nprint(round(w, 3), round(b, 3))"),
            .code("points = ' '.join(f'{i},{100 - min(l, 100):.1f}' for i, l in enumerate(losses))\nopen('loss.svg', 'w').write(f'<svg><polyline points=\"{points}\"/></svg>')\nround(losses[-1], 4)"),
            .code("print('final', round(loss(w, b), 4), 'after', len(losses), 'steps')"),
        ]),
        ("parameterised", [
            .code("epochs = 5\nscale = 1.5\nlabel = 'demo'", tags: ["parameters"]),
            .code("values = [scale * i for i in range(epochs)]"),
            .code("print(label, values)"),
            .code("values.append(epochs)\nprint(sum(values))"),
        ]),
        ("shadowing", [
            .code("config = {'lr': 0.1}\nhistory = []\nname = 'first'"),
            .code("def record(event):\n    history.append((name, event))"),
            .code("record('start')\nconfig['lr'] = 0.2"),
            .code("name = 'second'\nrecord('again')\nprint(history, config)"),
            .code("config = dict(config, momentum=0.9)\ndel name\nprint(sorted(config))"),
            .code("print(len(history), config['lr'])"),
        ]),
        ("three-uses", [
            .code("def normalise(values):\n    top = max(values)\n    return [v / top for v in values]"),
            .code("print(normalise([1, 2, 4]))"),
            .code("scores = normalise([3, 6])\nscores"),
            .code("print(normalise(scores + [0.25]))"),
        ]),
        // What Jupyter shows: IPython's pretty printer, not pprint (a nested list breaks at one
        // space of indent, a long string stays one line, a type shows its name), `display(...)`,
        // and the last expressions it shows nothing for (`;`, None, a mutator's None).
        ("display", [
            .code("summary = {'losses': [round(0.5 ** i, 4) for i in range(12)], 'name': 'a fairly long experiment name'}\nsummary"),
            .code("'word ' * 20"),
            .code("type(summary), len"),
            .code("display(sorted(summary))\nprint('after')\nsummary['name'];"),
            .code("summary.update(n=1)"),
            .code("print(summary['n'])\nsummary['n'] if summary['n'] > 3 else None"),
        ]),
    ]

    @Test(arguments: ImportCommandTests.corpus.map(\.name))
    func theImportedNotebookPrintsAndWritesWhatTheNotebookDoesTopToBottom(_ name: String) throws {
        let cells = Self.corpus.first { $0.name == name }!.cells
        let files = ["data/points.csv": Self.points, "data/meta.json": "{\"source\": \"survey\"}"]
        let w = try Workspace(cells, files: files)
        defer { w.remove() }
        // The reference: nbclient runs the .ipynb top to bottom in a copy of its directory.
        let reference = try TemporaryDirectory("sb-import-reference")
        let scratch = try TemporaryDirectory("sb-import-nbclient")
        defer { reference.remove(); scratch.remove() }
        let before = try Self.files(in: w.dir.url)
        for (path, data) in before { try reference.write(path, String(decoding: data, as: UTF8.self)) }
        try scratch.write("run.py", Self.nbclientRunner)
        var environment = ProcessInfo.processInfo.environment
        environment["JUPYTER_PLATFORM_DIRS"] = "1"
        environment["IPYTHONDIR"] = scratch.url.appendingPathComponent("ipython").path
        environment["JUPYTER_RUNTIME_DIR"] = scratch.url.appendingPathComponent("runtime").path
        environment["JUPYTER_CONFIG_DIR"] = scratch.url.appendingPathComponent("config").path
        let started = Date()
        let expected = try Process.capture(try PythonEnvironment.python(), [
            scratch.url.appendingPathComponent("run.py").path, reference.url.appendingPathComponent("nb.ipynb").path,
            reference.url.path, scratch.url.appendingPathComponent("kernels").path,
        ], environment: environment)
        try #require(expected.status == 0, "nbclient: \(expected.stderr)")
        print("nbclient ran \(name) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        struct Executed: Decodable { let printed: [String: String] }
        let printed = try JSONDecoder().decode(Executed.self, from: Data(expected.stdout.utf8)).printed
        #expect(printed.count == cells.filter { $0.type == "code" }.count)

        let imported = try w.importNotebook()
        #expect(!imported.stderr.contains("warning"), "\(imported.stderr)")
        let run = try w.run()
        #expect(run.result.status == 0, "\(run.result.stdout)")
        // `  cell N  ID  ...` lines of the import's summary name each cell's id.
        var ids: [String: String] = [:]
        for line in imported.stderr.split(separator: "\n") where line.hasPrefix("  cell ") {
            let words = line.split(separator: " ")
            ids[String(words[1])] = String(words[2])
        }
        for (number, text) in printed.sorted(by: { $0.key < $1.key }) {
            guard let id = ids[number] else {
                #expect(text.isEmpty, "cell \(number) was left out but printed \(text)")
                continue
            }
            #expect((w.stdout(run, id) ?? "") == text, "cell \(number) (\(id))")
        }
        // Every file the top-to-bottom run wrote or changed is the imported run's output, byte for
        // byte, and the imported run writes no other file (its values travel under vars/; report.html
        // is the run's report, which every splitbook run leaves there).
        let after = try Self.files(in: reference.url)
        let written = after.filter { before[$0.key] != $0.value }
        let outputs = w.dir.url.appendingPathComponent("outputs/nb")
        let made = try Self.files(in: outputs).filter { !$0.key.hasPrefix("vars/") && $0.key != "report.html" }
        #expect(Set(made.keys) == Set(written.keys), "written top to bottom: \(written.keys.sorted()); imported: \(made.keys.sorted())")
        for (path, data) in written {
            #expect(made[path] == data, "\(path)")
        }
        if ["features", "training"].contains(name) { #expect(!written.isEmpty, "the notebook writes a file") }
        let again = try w.run()
        #expect(again.ran.isEmpty, "a rerun is fully cached: \(again.statuses)")
    }

    /// Every regular file under `root`, by relative path (no `.splitbook` bookkeeping).
    static func files(in root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        guard FileManager.default.fileExists(atPath: root.path) else { return result }
        for path in try FileManager.default.subpathsOfDirectory(atPath: root.path) where !path.hasPrefix(".splitbook") {
            var directory: ObjCBool = false
            let url = root.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &directory), !directory.boolValue else { continue }
            result[path] = try Data(contentsOf: url)
        }
        return result
    }

    /// numpy arrays travel as .npy (no pickle), where this machine's python3 has numpy.
    @Test(.enabled(if: ImportCommandTests.pythonHasNumpy)) func numpyArraysTravelAsNpy() throws {
        let w = try Workspace([
            .code("import numpy as np\narr = np.arange(12, dtype=np.float64).reshape(3, 4)\nrng = np.random.default_rng(0)"),
            .code("arr[0, 0] = 100\ndraw = rng.integers(0, 1000)"),
            .code("print(arr.sum(), arr.dtype, draw == np.random.default_rng(0).integers(0, 1000))\nprint(rng.integers(0, 1000) != draw)"),
        ])
        defer { w.remove() }
        try w.importNotebook()
        let run = try w.run(environment: ImportCommandTests.systemPythonEnvironment)
        #expect(run.result.status == 0, "\(run.result.stdout)")
        #expect(w.stdout(run, "cell-3") == "166.0 float64 True\nTrue\n", "the changed array, and the generator with its state")
        let saved = try Data(contentsOf: w.dir.url.appendingPathComponent("outputs/nb/vars/arr/arr"))
        #expect(String(decoding: saved.prefix(17), as: UTF8.self) == "{\"format\": \"npy\",", "an array of numbers is saved as .npy, not pickled")
    }

    static let pythonHasNumpy: Bool = {
        (try? Process.capture(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import numpy"]).status) == 0
    }()

    /// The caller's environment (its python3, not the test venv's).
    static var systemPythonEnvironment: [String: String] { ProcessInfo.processInfo.environment }
}
