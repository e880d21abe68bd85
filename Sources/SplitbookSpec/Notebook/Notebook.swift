/// A parsed notebook: the typed form of a `notebooks/NAME.yaml` file (CONTRACT §1).
public struct Notebook: Sendable {
    /// The file's path as the user gave it.
    public var path: String
    /// The file's stem, e.g. `rag` for `notebooks/rag.yaml`.
    public var name: String
    public var formatVersion: Int
    public var title: String?
    public var description: String?
    /// Default parameter values, in file order.
    public var params: [Param]
    /// Environment variables for every cell (part of every key).
    public var env: [EnvVariable]
    /// The notebook-wide latency budget for online cells, in milliseconds.
    public var latencyBudgetMs: Double?
    /// The packages every Python cell runs with, unless the cell names its own.
    public var python: PythonSpec?
    public var cells: [Cell]

    /// The code cells in notebook order.
    public var codeCells: [CodeCell] {
        cells.compactMap { if case .code(let c) = $0 { c } else { nil } }
    }

    /// The `python:` block a cell runs with: its own, else the notebook's;
    /// nil for cells in other languages and for notebooks without one.
    public func pythonSpec(of cell: CodeCell) -> PythonSpec? {
        cell.language == .python ? cell.python ?? python : nil
    }

    /// The default budget when neither the notebook nor the cell sets one.
    public static let defaultLatencyBudgetMs = 200.0

    public init(path: String, name: String, formatVersion: Int = 1, title: String? = nil,
                description: String? = nil, params: [Param] = [], env: [EnvVariable] = [],
                latencyBudgetMs: Double? = nil, cells: [Cell] = []) {
        self.path = path
        self.name = name
        self.formatVersion = formatVersion
        self.title = title
        self.description = description
        self.params = params
        self.env = env
        self.latencyBudgetMs = latencyBudgetMs
        self.cells = cells
    }
}

/// A notebook parameter and its default value.
public struct Param: Sendable {
    public var name: Located<String>
    public var value: JSONValue
    public init(name: Located<String>, value: JSONValue) {
        self.name = name
        self.value = value
    }
}

/// One `NAME: value` environment entry.
public struct EnvVariable: Sendable {
    public var name: Located<String>
    public var value: String
    public init(name: Located<String>, value: String) {
        self.name = name
        self.value = value
    }
}

/// A cell of a notebook: prose or code.
public enum Cell: Sendable {
    case markdown(MarkdownCell)
    case code(CodeCell)
}

/// A `{markdown: TEXT}` cell: shown in reports, never run, never in a key.
public struct MarkdownCell: Sendable {
    public var text: String
    public var range: SourceRange
    public init(text: String, range: SourceRange) {
        self.text = text
        self.range = range
    }
}
