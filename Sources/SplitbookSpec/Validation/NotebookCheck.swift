/// The whole static check of a notebook: load, build the graph, validate.
public struct NotebookCheck: Sendable {
    /// The notebook, when the file could be read as one (even with errors).
    public let notebook: Notebook?
    public let graph: CellGraph?
    /// Every problem, in source order.
    public let diagnostics: [Diagnostic]

    public var hasErrors: Bool { diagnostics.contains(where: \.isError) }

    public init(source: SourceText, context: ValidationContext = ValidationContext(), loader: NotebookLoader = NotebookLoader()) {
        let loaded = loader.load(source)
        guard let notebook = loaded.notebook else {
            self.notebook = nil
            self.graph = nil
            self.diagnostics = loaded.diagnostics
            return
        }
        let graph = CellGraph(cells: notebook.codeCells)
        let validated = NotebookValidator(context: context).validate(notebook, graph: graph)
        self.notebook = notebook
        self.graph = graph
        self.diagnostics = DiagnosticRenderer.sorted(loaded.diagnostics + validated)
    }
}
