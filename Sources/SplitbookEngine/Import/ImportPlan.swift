import SplitbookSpec

/// A Jupyter notebook turned into splitbook cells: the result of
/// `ImportPlanner.plan`, written out by `ImportedNotebookYAML`.
///
/// The kernel's hidden state becomes declared files: a value that a later
/// cell reads is saved by the cell that last defined (or changed) it, at
/// `vars/CELL/NAME`, a declared output; the reader declares that path as an
/// input and loads it with the `splitbook` helper. So each reader gets the
/// version it would have seen running the notebook top to bottom, and editing
/// a cell reruns exactly the cells that read what it defines.
public struct ImportPlan: Sendable {
    /// A value one cell hands to another.
    public struct Edge: Sendable, Equatable {
        public var name: String
        /// The cell id that saved it, or nil for a param.
        public var from: String?
    }

    /// One code cell as it will be written.
    public struct CodeCellPlan: Sendable {
        public var id: String
        /// The cell's 1-based position in the `.ipynb`.
        public var number: Int
        /// `python`, `bash` or `sh`.
        public var language: String
        public var code: String
        public var inputs: [String]
        public var outputs: [String]
        /// The params it reads; nil when the notebook has none.
        public var params: [String]?
        /// What it loads, for the summary (params included, imports left out).
        public var reads: [Edge]
        /// The names it saves for later cells.
        public var saves: [String]
    }

    public enum Cell: Sendable {
        case markdown(String)
        case code(CodeCellPlan)
    }

    public struct Param: Sendable {
        public var name: String
        public var value: JSONValue
    }

    public var title: String?
    public var params: [Param]
    public var env: [(name: String, value: String)]
    /// The `python.requirements` (nil: no `python:` block).
    public var requirements: [String]?
    public var cells: [Cell]
    public var warnings: [ImportWarning]

    public var codeCells: [CodeCellPlan] {
        cells.compactMap { if case .code(let c) = $0 { c } else { nil } }
    }
}

/// Something `splitbook import` reports about the notebook: at a cell and line
/// of the `.ipynb` when it has a place.
public struct ImportWarning: Sendable, Equatable {
    public enum Severity: String, Sendable {
        /// The imported notebook may behave differently from the `.ipynb` here.
        case warning
        /// Dropped or rewritten on the way, nothing lost.
        case note
    }

    public var severity: Severity
    /// The cell's 1-based position in the `.ipynb` (nil: about the notebook as a whole).
    public var cell: Int?
    public var line: Int
    public var column: Int
    public var length: Int
    public var message: String
    public var notes: [String]

    public init(_ severity: Severity, cell: Int?, line: Int = 1, column: Int = 1, length: Int = 1, _ message: String, notes: [String] = []) {
        self.severity = severity
        self.cell = cell
        self.line = line
        self.column = column
        self.length = length
        self.message = message
        self.notes = notes
    }
}

/// What the planner may ask about the disk (closures, so the plan stays pure and testable).
public struct ImportContext: Sendable {
    /// Whether `path` exists relative to the `.ipynb`'s directory (Jupyter's working directory).
    public var existsBesideNotebook: @Sendable (String) -> Bool
    /// Whether `path` exists relative to the directory of the YAML being written (where `inputs:` resolve).
    public var existsBesideYAML: @Sendable (String) -> Bool
    /// The text of a file beside the `.ipynb` (`%pip install -r FILE`).
    public var readBesideNotebook: @Sendable (String) -> String?
    /// The YAML's directory as the user would write it, for messages.
    public var yamlDirectory: String

    public init(existsBesideNotebook: @escaping @Sendable (String) -> Bool, existsBesideYAML: @escaping @Sendable (String) -> Bool,
                readBesideNotebook: @escaping @Sendable (String) -> String? = { _ in nil }, yamlDirectory: String = ".") {
        self.existsBesideNotebook = existsBesideNotebook
        self.existsBesideYAML = existsBesideYAML
        self.readBesideNotebook = readBesideNotebook
        self.yamlDirectory = yamlDirectory
    }
}
