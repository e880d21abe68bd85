import Foundation
import SplitbookEngine
import SplitbookSpec
import SplitbookTestSupport
import Testing

/// An executed (or exported) .ipynb as the tests read it: each code cell's id,
/// whether it is one of splitbook's cells, what it printed, its errors, and
/// the samples an online endpoint answered.
struct NotebookOutputs {
    struct Cell {
        var id: String
        var isSplitbookCell: Bool
        var stdout: String
        var errors: [String]
        /// (request, response) of each sample, from the samples output of an online endpoint.
        var samples: [JSONValue]?
    }

    var cells: [Cell]

    init(_ url: URL) throws {
        let data = try Data(contentsOf: url)
        guard case .object(let top)? = JSONValue.parseJSON(data), case .array(let cells)? = top["cells"] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        self.cells = cells.compactMap { item in
            guard case .object(let cell) = item, cell["cell_type"] == .string("code"), case .string(let id)? = cell["id"] else { return nil }
            guard case .object(let metadata)? = cell["metadata"], case .array(let outputs)? = cell["outputs"] else { return nil }
            var result = Cell(id: id, isSplitbookCell: metadata["splitbook"] != nil, stdout: "", errors: [])
            for case .object(let output) in outputs {
                switch output["output_type"] {
                case .string("stream")? where output["name"] == .string("stdout"): result.stdout += Self.text(output["text"])
                case .string("error")?: result.errors.append("\(Self.text(output["ename"])): \(Self.text(output["evalue"]))")
                case .string("display_data")?:
                    if case .object(let bundle)? = output["data"], case .object(let json)? = bundle["application/json"],
                       case .array(let samples)? = json["samples"] {
                        result.samples = samples.map { sample in
                            guard case .object(let s) = sample else { return .null }
                            return .array([s["request"] ?? .null, s["response"] ?? .null])
                        }
                    }
                default: break
                }
            }
            return result
        }
    }

    /// nbformat writes multi-line text as a list of lines.
    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s)?: s
        case .array(let lines)?: lines.map { text($0) }.joined()
        default: ""
        }
    }

    var splitbookCells: [Cell] { cells.filter(\.isSplitbookCell) }
    func cell(_ id: String) -> Cell? { cells.first { $0.id == id } }
}

/// How the tests run an exported notebook: the pinned test venv's Python
/// (nbclient, papermill, ipykernel) as the kernel, from the notebook's folder.
///
/// The kernel is the test venv's Python: nbclient and papermill start its
/// `python3` kernelspec with that same interpreter. The notebook's own
/// packages (scikit-learn, skops, ...) come from the environment splitbook
/// built for its lock, whose site-packages go on PYTHONPATH. Both are made
/// from the same base interpreter (the lock records 3.11.7; the venv is built
/// with it), so the kernel imports exactly the versions the run used, and
/// nothing is installed for the test. The notebook's PYTHONHASHSEED is set,
/// as its first cell tells a user to, and TMPDIR points at `tmp`, so that the
/// test sees where the cells' scratch folder goes.
struct NotebookKernel {
    let environment: [String: String]

    init(project: Project, tmp: URL) throws {
        var env = Binary.defaultEnvironment
        env["PYTHONPATH"] = try Self.sitePackages(project).joined(separator: ":")
        env["TMPDIR"] = tmp.path
        let notebook = try #require(try NotebookFile(path: project.url.appendingPathComponent(project.notebook).path).check.notebook)
        env["PYTHONHASHSEED"] = notebook.env.first { $0.name.value == "PYTHONHASHSEED" }?.value
        environment = env
    }

    /// The site-packages of each environment splitbook built for the notebook's lock (in the shared test store).
    private static func sitePackages(_ project: Project) throws -> [String] {
        let lock = try LockFile.load(project.url.appendingPathComponent(LockFile.path(forNotebook: project.notebook)))
        let store = Binary.defaultEnvironment["SPLITBOOK_ENVS"]!
        let built = (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []
        return try lock.environments.map { locked in
            let dir = try #require(built.first { name in
                guard let data = FileManager.default.contents(atPath: "\(store)/\(name)/splitbook-environment.json"),
                      case .object(let marker)? = JSONValue.parseJSON(data) else { return false }
                return marker["lockDigest"] == .string(locked.digest.hex)
            }, "no environment in \(store) for the lock of \(project.notebook)")
            let lib = "\(store)/\(dir)/lib"
            let python = try #require(try FileManager.default.contentsOfDirectory(atPath: lib).first { $0.hasPrefix("python") })
            return "\(lib)/\(python)/site-packages"
        }
    }

    /// Runs `notebook` top to bottom with nbclient (Run All), writing the executed copy to `output`.
    func nbclient(_ notebook: URL, output: URL, setting extra: [String: String] = [:]) throws -> Binary.Result {
        let script = Binary.packageRoot.appendingPathComponent("Tests/Scripts/execute_ipynb.py")
        return try Process.capture(try PythonEnvironment.python(), [script.path, notebook.path, output.path],
                                   in: notebook.deletingLastPathComponent(), environment: environment.merging(extra) { $1 })
    }

    /// `python -m papermill NOTEBOOK OUTPUT -p NAME VALUE ...`, from the notebook's folder.
    func papermill(_ notebook: URL, output: URL, params: [(String, String)]) throws -> Binary.Result {
        let flags = params.flatMap { ["-p", $0.0, $0.1] }
        return try Process.capture(try PythonEnvironment.python(), ["-m", "papermill", notebook.path, output.path] + flags,
                                   in: notebook.deletingLastPathComponent(), environment: environment)
    }
}

@Suite("splitbook export ipynb: a record that runs, under nbclient and papermill (the real binary)", .serialized)
struct IpynbExportTests {
    /// For each teaching notebook, a param whose change shows in what its cells print.
    static let overrides: [String: (name: String, value: String)] = [
        "intro": ("n", "50"), "churn_model": ("C", "0.05"), "rag_assistant": ("top_k", "1"), "dataset_generation": ("min_words", "80"),
    ]

    /// Every file under `dir`, with its size (relative paths, sorted).
    static func listing(_ dir: URL) -> [String] {
        files(under: dir).map { "\($0) \(FileIdentity.of(dir.appendingPathComponent($0).path)?.size ?? -1)" }
    }

    @Test("Run All (nbclient) reproduces the record; papermill -p reproduces splitbook run -p; nothing lands beside the notebook",
          arguments: ["intro", "rag_assistant", "churn_model", "dataset_generation"])
    func theExportRunsAsTheNotebookRan(_ name: String) throws {
        let p = try Project(bundled: name)
        defer { p.remove() }
        let override = try #require(Self.overrides[name])
        // What papermill -p must reproduce: the record of a splitbook run with the same override.
        #expect(try p.splitbook(["run", p.notebook, "-p", "\(override.name)=\(override.value)"]).status == 0)
        #expect(try p.splitbook(["export", "ipynb", p.notebook, "-o", "overridden.ipynb"]).status == 0)
        // The notebook under test: the record of a run with the defaults, alone in its folder.
        #expect(try p.splitbook(["run", p.notebook]).status == 0)
        #expect(try p.splitbook(["export", "ipynb", p.notebook, "-o", "alone/\(name).ipynb"]).status == 0)
        let notebook = p.url.appendingPathComponent("alone/\(name).ipynb")
        let tmp = p.url.appendingPathComponent("kernel-tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let before = Self.listing(notebook.deletingLastPathComponent())
        let kernel = try NotebookKernel(project: p, tmp: tmp)

        let runAll = try kernel.nbclient(notebook, output: p.url.appendingPathComponent("nbclient.ipynb"))
        #expect(runAll.status == 0, "\(runAll.stdout)\(runAll.stderr)")
        let papermill = try kernel.papermill(notebook, output: p.url.appendingPathComponent("papermill.ipynb"),
                                             params: [(override.name, override.value)])
        #expect(papermill.status == 0, "\(papermill.stdout)\(papermill.stderr)")

        #expect(Self.listing(notebook.deletingLastPathComponent()) == before, "the kernel wrote beside the notebook")
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp.path)
        #expect(left.isEmpty, "the cells' scratch folder outlives the kernel: \(left)")

        let record = try NotebookOutputs(notebook), overridden = try NotebookOutputs(p.url.appendingPathComponent("overridden.ipynb"))
        let executed = try NotebookOutputs(p.url.appendingPathComponent("nbclient.ipynb"))
        let parameterised = try NotebookOutputs(p.url.appendingPathComponent("papermill.ipynb"))
        let codeCells = try #require(try NotebookFile(path: p.url.appendingPathComponent(p.notebook).path).check.notebook).codeCells
        #expect(record.splitbookCells.map(\.id) == codeCells.map(\.id.value.rawValue))
        // Every cell of the teaching notebooks is deterministic (seeded, one BLAS thread, sorted output),
        // so every cell's stdout must come back byte for byte; none is exempt.
        for cell in record.splitbookCells {
            for (label, run, expected) in [("nbclient", executed, Optional(cell)), ("papermill", parameterised, overridden.cell(cell.id))] {
                let got = try #require(run.cell(cell.id), "\(label): cell \(cell.id) is missing")
                #expect(got.errors.isEmpty, "\(label): \(cell.id) failed: \(got.errors)")
                #expect(got.stdout == expected?.stdout, "\(label): \(cell.id) printed other text than the record")
                #expect(got.samples == expected?.samples, "\(label): \(cell.id) answered its samples otherwise")
            }
        }
        for run in [executed, parameterised] { #expect(run.cells.allSatisfy { $0.errors.isEmpty }) }
        // The override is visible: some cell prints otherwise with it, so the comparison above tested -p.
        #expect(record.splitbookCells.contains { $0.stdout != overridden.cell($0.id)?.stdout })
        if name == "intro" { #expect(parameterised.cell("numbers")?.stdout == "wrote 50 numbers\n") }
    }

    /// A notebook whose cells read a source file, params of four types (one named like a Python keyword),
    /// the notebook's env, each other's outputs, and an artifact another notebook published.
    static let wiring = """
        params: {greeting: hello, factor: 1.5, tags: [a, b], lambda: "it's \\"q\\""}
        env: {MARK: marked}
        cells:
          - id: make
            lang: python
            inputs: [data/words.txt]
            outputs: [out/words.json]
            code: |
              import json, os, splitbook
              words = open("data/words.txt").read().split()
              os.makedirs("out")
              json.dump(words, open("out/words.json", "w"))
              print(os.environ["PARAM_GREETING"], os.environ["PARAM_FACTOR"], os.environ["PARAM_TAGS"], os.environ["PARAM_LAMBDA"], os.environ["MARK"])
              print(os.environ["SPLITBOOK_NOTEBOOK"], os.environ["SPLITBOOK_CELL"], json.dumps(splitbook.params, sort_keys=True))
              splitbook.metric("words", len(words))
          - id: shell
            inputs: [out/words.json]
            params: [factor]
            code: |
              echo "$(cat out/words.json) seen by $SPLITBOOK_CELL with factor $PARAM_FACTOR, greeting '${PARAM_GREETING:-}'"
              ls
          - id: serve
            stage: online
            lang: python
            uses: [lexicon]
            params: []
            sample: {"word": "b"}
            code: |
              import json
              WORDS = json.load(open("artifacts/lexicon"))
              def handle(request):
                  return {"known": request["word"] in WORDS}
        """

    @Test func cellsFindTheirInputsArtifactsAndEnvironmentOrSayWhereToLook() throws {
        let lexicon = """
            cells:
              - id: publish
                outputs: [lexicon.json]
                publish: {lexicon: lexicon.json}
                code: echo '["a", "b"]' > lexicon.json
            """
        let p = try Project(Self.wiring, files: ["data/words.txt": "b c\n", "lexicon.yaml": lexicon])
        defer { p.remove() }
        // A registry of their own: the export records the one it was given.
        for arguments in [["run", "notebooks/lexicon.yaml"], ["run", p.notebook], ["export", "ipynb", p.notebook, "-o", "alone/nb.ipynb"]] {
            #expect(try p.splitbook(arguments + ["--registry", "shared-registry"]).status == 0)
        }
        let notebook = p.url.appendingPathComponent("alone/nb.ipynb"), output = p.url.appendingPathComponent("run.ipynb")
        let tmp = p.url.appendingPathComponent("kernel-tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let kernel = try NotebookKernel(project: p, tmp: tmp)

        let ran = try kernel.nbclient(notebook, output: output)
        #expect(ran.status == 0, "\(ran.stdout)\(ran.stderr)")
        let record = try NotebookOutputs(notebook), executed = try NotebookOutputs(output)
        #expect(executed.cell("make")?.stdout == #"""
            hello 1.5 ["a","b"] it's "q" marked
            nb make {"factor": 1.5, "greeting": "hello", "lambda": "it's \"q\"", "tags": ["a", "b"]}

            """#)
        #expect(executed.cell("shell")?.stdout == "[\"b\", \"c\"] seen by shell with factor 1.5, greeting ''\nout\n")
        #expect(executed.cell("serve")?.samples == [.array([.object(["word": .string("b")]), .object(["known": .bool(true)])])])
        for cell in record.splitbookCells {
            #expect(executed.cell(cell.id)?.stdout == cell.stdout)
            #expect(executed.cell(cell.id)?.samples == cell.samples)
        }
        // The param named like a keyword is the variable `lambda_`, which papermill's -p sets.
        let renamed = try kernel.papermill(notebook, output: output, params: [("lambda_", "changed")])
        #expect(renamed.status == 0, "\(renamed.stdout)\(renamed.stderr)")
        #expect(try NotebookOutputs(output).cell("make")?.stdout.hasPrefix(#"hello 1.5 ["a","b"] changed marked"#) == true)

        // The notebook's folder moves away: the cell that reads from it fails, saying what to set.
        try FileManager.default.moveItem(at: p.url.appendingPathComponent("notebooks"), to: p.url.appendingPathComponent("moved"))
        let lost = try kernel.nbclient(notebook, output: output)
        #expect(lost.status == 1)
        let failure = try #require(try NotebookOutputs(output).cell("make")?.errors.first)
        #expect(failure.contains("SplitbookCellError: cell 'make' reads 'data/words.txt' from the notebook's folder"))
        #expect(failure.contains("Point SPLITBOOK_SOURCE_DIR at a copy of it"))
        let moved = ["SPLITBOOK_SOURCE_DIR": p.url.appendingPathComponent("moved").path]
        let found = try kernel.nbclient(notebook, output: output, setting: moved)
        #expect(found.status == 0, "\(found.stdout)\(found.stderr)")

        // An artifact no cell here publishes comes from the workspace registry; without it, the cell says so.
        let unpublished = try kernel.nbclient(notebook, output: output,
                                              setting: moved.merging(["SPLITBOOK_REGISTRY": p.url.appendingPathComponent("empty").path]) { $1 })
        #expect(unpublished.status == 1)
        let missing = try #require(try NotebookOutputs(output).cell("serve")?.errors.first)
        #expect(missing.contains("cell 'serve' uses the artifact 'lexicon', which no cell of this notebook publishes"))
        #expect(missing.contains("Set SPLITBOOK_REGISTRY to the registry that holds it"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: notebook.deletingLastPathComponent().path) == ["nb.ipynb"])
    }
}
