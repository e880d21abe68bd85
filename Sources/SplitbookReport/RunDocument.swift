import Foundation
import SplitbookEngine
import SplitbookSpec

/// A run as the reports show it: the notebook's cells in file order, each
/// code cell with its result, captured output, display items and samples,
/// read back from the run record and the store. Every report format (HTML,
/// ipynb, Markdown) renders one of these.
public struct RunDocument: Sendable {
    /// The most a report shows of one stdout or stderr.
    static let logLimit = 100_000

    public enum Item: Sendable {
        case markdown(String)
        case code(CodeItem)
    }

    public struct CodeItem: Sendable {
        public var cell: CodeCell
        /// Nil for a cell the run did not reach (the record predates the cell).
        public var result: RunReport.CellResult?
        public var stdout: String
        public var stderr: String
        public var display: [DisplayFile]
        public var samples: SampleSet?

        public var id: String { cell.id.value.rawValue }
        public var code: String {
            switch cell.source {
            case .inline(let text): text
            case .file(let path): "# file: \(path.value)\n"
            }
        }
    }

    /// A file the cell wrote to `$SPLITBOOK_DISPLAY`.
    public struct DisplayFile: Sendable {
        public enum Kind: Sendable, Equatable {
            case image(mime: String)
            case table(separator: Character)
            case markdown, html, json, text
        }

        public var name: String
        public var kind: Kind
        public var data: Data

        static func kind(of name: String) -> Kind {
            switch (name as NSString).pathExtension.lowercased() {
            case "png": .image(mime: "image/png")
            case "jpg", "jpeg": .image(mime: "image/jpeg")
            case "svg": .image(mime: "image/svg+xml")
            case "csv": .table(separator: ",")
            case "tsv": .table(separator: "\t")
            case "md": .markdown
            case "html": .html
            case "json": .json
            default: .text
            }
        }

        public var text: String { String(decoding: data, as: UTF8.self) }
    }

    /// An online endpoint's samples as the run sent them through its chain.
    public struct SampleSet: Sendable {
        public struct Sample: Sendable {
            public var request: JSONValue
            public var response: JSONValue
            public var p50: Double
            public var p95: Double
        }

        public var chain: [String]
        public var samples: [Sample]
        public var p50: Double
        public var p95: Double
        public var repetitions: Int
    }

    public var notebook: Notebook
    public var graph: CellGraph
    public var run: RunReport
    public var items: [Item]
    /// Registry artifacts between the halves: name -> the version the run published or used.
    public var artifactVersions: [String: Int]

    public var codeItems: [CodeItem] { items.compactMap { if case .code(let c) = $0 { c } else { nil } } }

    /// Reads what `run` recorded for each of `file`'s cells from `workspace`.
    public init(file: NotebookFile, run: RunReport, workspace: Workspace) throws {
        guard let notebook = file.check.notebook, let graph = file.check.graph else { throw ReportError("the notebook has errors") }
        self.notebook = notebook
        self.graph = graph
        self.run = run
        let results = Dictionary(run.cells.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        func text(_ digest: Digest?) -> String {
            guard let digest, let data = workspace.store.data(digest) else { return "" }
            if data.count <= Self.logLimit { return String(decoding: data, as: UTF8.self) }
            return String(decoding: data.prefix(Self.logLimit), as: UTF8.self) + "\n… (\(data.count - Self.logLimit) more bytes not shown)\n"
        }
        var versions: [String: Int] = [:]
        items = notebook.cells.map { cell in
            switch cell {
            case .markdown(let m):
                return .markdown(m.text)
            case .code(let c):
                let result = results[c.id.value.rawValue]
                let entry = result?.key.flatMap { workspace.entry($0) }
                let display = (entry?.display ?? []).compactMap { item -> DisplayFile? in
                    guard let data = workspace.store.data(item.digest) else { return nil }
                    return DisplayFile(name: item.name, kind: DisplayFile.kind(of: item.name), data: data)
                }
                for (name, version) in result?.published ?? [:] { versions[name] = version }
                return .code(CodeItem(cell: c, result: result, stdout: text(result?.stdout), stderr: text(result?.stderr), display: display,
                                      samples: result?.samples.flatMap { Self.samples(workspace.store.data($0)) }))
            }
        }
        artifactVersions = versions
    }

    static func samples(_ data: Data?) -> SampleSet? {
        guard let data, case .object(let top)? = JSONValue.parseJSON(data) else { return nil }
        func latency(_ v: JSONValue?) -> (Double, Double) {
            guard case .object(let l)? = v else { return (0, 0) }
            return (l["p50"]?.number ?? 0, l["p95"]?.number ?? 0)
        }
        guard case .array(let list)? = top["samples"] else { return nil }
        let samples = list.compactMap { item -> SampleSet.Sample? in
            guard case .object(let s) = item else { return nil }
            let (p50, p95) = latency(s["latencyMs"])
            return SampleSet.Sample(request: s["request"] ?? .null, response: s["response"] ?? .null, p50: p50, p95: p95)
        }
        let chain: [String] = if case .array(let c)? = top["chain"] { c.compactMap { if case .string(let s) = $0 { s } else { nil } } } else { [] }
        let (p50, p95) = latency(top["latencyMs"])
        return SampleSet(chain: chain, samples: samples, p50: p50, p95: p95, repetitions: Int(top["repetitions"]?.number ?? 0))
    }

    /// The newest run record of the notebook at `file`.
    public static func latest(file: NotebookFile, workspace: Workspace) throws -> RunDocument {
        let name = file.check.notebook?.name ?? NotebookLoader.stem(of: file.source.path)
        let history = RunHistory(workspace: workspace)
        guard let id = history.lastRunID(name), let run = history.load(name, id) else {
            throw ReportError("\(file.source.path) has not been run in \(workspace.root.path): run it first (`splitbook run \(file.source.path)`)")
        }
        return try RunDocument(file: file, run: run, workspace: workspace)
    }
}
