/// Which half of the production system a cell belongs to.
public enum Stage: String, Sendable, CaseIterable {
    /// Part of the scheduled batch job: reads data, writes outputs, publishes.
    case offline
    /// Part of the always-on service: loads published artifacts, answers requests.
    case online
}

/// A cell's language. Known languages have a default interpreter; any other
/// needs an explicit `interpreter`.
public enum Language: Hashable, Sendable, CustomStringConvertible {
    case sh, bash, python, swift
    case other(String)

    public init(_ name: String) {
        switch name {
        case "sh": self = .sh
        case "bash": self = .bash
        case "python": self = .python
        case "swift": self = .swift
        default: self = .other(name)
        }
    }

    public static let known = ["sh", "bash", "python", "swift"]

    public var description: String {
        switch self {
        case .sh: "sh"
        case .bash: "bash"
        case .python: "python"
        case .swift: "swift"
        case .other(let name): name
        }
    }

    /// The command that runs a script in this language (the script path is
    /// appended), or nil when the notebook must say.
    public var defaultInterpreter: [String]? {
        switch self {
        case .sh: ["sh"]
        case .bash: ["bash"]
        case .python: ["python3"]
        case .swift: ["swift"]
        case .other: nil
        }
    }

    /// The file extension given to the cell's script.
    public var scriptExtension: String {
        switch self {
        case .sh, .bash: "sh"
        case .python: "py"
        case .swift: "swift"
        case .other(let name): name
        }
    }
}

/// Where a cell's code comes from.
public enum CellSource: Sendable {
    /// `code:` written in the notebook.
    case inline(String)
    /// `file:` a source file relative to the notebook's directory.
    case file(Located<RelativePath>)
}

/// An artifact a cell publishes to the registry: `name: output_path`.
public struct Publication: Sendable {
    public var artifact: Located<ArtifactName>
    public var path: Located<RelativePath>
    public init(artifact: Located<ArtifactName>, path: Located<RelativePath>) {
        self.artifact = artifact
        self.path = path
    }
}

/// A code cell: one cached, hermetic step of the notebook (CONTRACT §1, §2).
public struct CodeCell: Sendable {
    public var id: Located<CellID>
    /// The whole cell mapping's span.
    public var range: SourceRange
    public var stage: Stage = .offline
    public var language: Language = .sh
    public var interpreter: [String]?
    public var source: CellSource = .inline("")
    public var sourceRange: SourceRange?
    public var needs: [Located<CellID>] = []
    public var inputs: [Located<RelativePath>] = []
    public var outputs: [Located<RelativePath>] = []
    /// Names of the params the cell sees; nil means all of them.
    public var params: [Located<String>]?
    public var env: [EnvVariable] = []
    public var secrets: [Located<String>] = []
    public var publish: [Publication] = []
    public var uses: [Located<ArtifactReference>] = []
    /// The sample requests (online cells); nil when the cell has none.
    public var samples: [JSONValue]?
    public var sampleRange: SourceRange?
    /// Seconds before the cell is killed.
    public var timeout: Double?
    /// False for cells that must always rerun (live data).
    public var cache = true
    public var latencyBudgetMs: Double?
    /// This cell's own `python:` block, replacing the notebook's.
    public var python: PythonSpec?
    /// Online endpoints: the offline rows its chain must reproduce.
    public var parity: ParitySpec?
    /// Online endpoints: the JSON Schema every request must follow (422 otherwise).
    public var requestSchema: Located<JSONValue>?
    /// Online Python cells with `handle_batch`: the most requests in one batch.
    public var maxBatch: Int?
    /// Online Python cells with `handle_batch`: how long an idle worker waits for a batch to fill, in milliseconds.
    public var maxWaitMs: Int?
    public static let defaultMaxBatch = 32
    public static let defaultMaxWaitMs = 0
    /// The range of each key present in the cell's mapping, for diagnostics that
    /// point at a whole entry (`publish:`) rather than one value.
    public var keyRanges: [String: SourceRange] = [:]

    public init(id: Located<CellID>, range: SourceRange) {
        self.id = id
        self.range = range
    }

    /// The command that runs this cell's script (the script path is appended).
    public var command: [String] {
        interpreter ?? language.defaultInterpreter ?? []
    }
}
