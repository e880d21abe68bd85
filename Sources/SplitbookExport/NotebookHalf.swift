import Foundation
import SplitbookEngine
import SplitbookSpec

/// One side of the split, cut out of a notebook: its code cells, the
/// markdown that explains them, the params they see and the source files
/// they read. Markdown cells go with the next code cell (the prose before a
/// cell introduces it); markdown before the first code cell introduces the
/// whole notebook and goes to both halves, and markdown after the last code
/// cell goes with that cell.
struct NotebookHalf {
    let stage: Stage
    let notebook: Notebook
    let graph: CellGraph
    /// The half's code cells in dependency order.
    let nodes: [Int]
    /// Markdown and code cells, in notebook order.
    let cells: [Cell]
    /// The params any of the half's cells sees, with their defaults, in notebook order.
    let params: [Param]
    /// Files and directories under the notebook's directory that the half reads.
    let sources: [RelativePath]

    init(_ stage: Stage, notebook: Notebook, graph: CellGraph) {
        self.stage = stage
        self.notebook = notebook
        self.graph = graph
        nodes = graph.topologicalOrder().order.filter { graph.cells[$0].stage == stage }

        var kept: [Cell] = []
        var pendingMarkdown: [Cell] = []
        var seenCode = false
        var lastStage: Stage?
        for cell in notebook.cells {
            switch cell {
            case .markdown:
                pendingMarkdown.append(cell)
            case .code(let code):
                if code.stage == stage || !seenCode { kept += pendingMarkdown }
                pendingMarkdown = []
                seenCode = true
                lastStage = code.stage
                if code.stage == stage { kept.append(cell) }
            }
        }
        if lastStage == stage || lastStage == nil { kept += pendingMarkdown }
        cells = kept

        let codeCells = nodes.map { graph.cells[$0] }
        let seen = Set(codeCells.flatMap { cell in cell.params.map { $0.map(\.value) } ?? notebook.params.map(\.name.value) })
        params = notebook.params.filter { seen.contains($0.name.value) }
        var paths: [RelativePath] = []
        for cell in codeCells {
            for input in cell.inputs where graph.producers[input.value] == nil { paths.append(input.value) }
            if case .file(let path) = cell.source { paths.append(path.value) }
        }
        // A file inside a directory that is itself a source comes with the directory.
        let all = Set(paths)
        sources = all.filter { path in !all.contains { path.rawValue.hasPrefix($0.rawValue + "/") } }.sorted { $0.rawValue < $1.rawValue }
    }

    var codeCells: [CodeCell] { nodes.map { graph.cells[$0] } }

    /// The half as a notebook file of its own, its `python:` blocks as `environments` carries them,
    /// and its endpoints' parity rows at `parityRows` (files of the export).
    func yaml(_ environments: HalfEnvironments, parityRows: [CellID: RelativePath] = [:]) -> String {
        NotebookYAML.text(notebook, cells: cells, title: notebook.title, params: params, requirements: environments.requirements(of:),
                          parityRows: parityRows)
    }

    /// A name Kubernetes accepts (DNS-1123 label): `rag_assistant` -> `rag-assistant`.
    static func dnsName(_ s: String) -> String {
        let mapped = s.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "-" }
        let trimmed = String(mapped).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return String((trimmed.isEmpty ? "notebook" : trimmed).prefix(50))
    }
}
