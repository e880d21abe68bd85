import SplitbookSpec

/// What the analyzer (`JupyterAnalyzerSource`) found in a Jupyter notebook:
/// every cell as written, and for each non-empty code cell what it reads from
/// earlier cells, defines, changes in place and touches on disk.
///
/// Lines and columns are 1-based and count in the cell's own text, as Jupyter
/// shows it (magic lines are replaced one for one, so numbers stay put).
public struct JupyterAnalysis: Decodable, Sendable {
    /// A cell of the `.ipynb`, in file order; `number` is its 1-based position among all cells.
    public struct SourceCell: Decodable, Sendable {
        public var number: Int
        /// `code`, `markdown` or `raw`.
        public var type: String
        public var source: String
        public var tags: [String]
    }

    /// A top-level name a cell reads before binding it itself: a value an earlier cell made.
    public struct Read: Decodable, Sendable {
        public var name: String
        public var line: Int
        public var col: Int
        /// The function or class whose body reads it, when the cell reads it by calling that.
        public var via: String?
    }

    /// A name a cell binds, as it stands when the cell ends.
    public struct Definition: Decodable, Sendable {
        public var name: String
        /// `value`, `function`, `class`, `import` (a top-level import statement) or `deleted`.
        public var kind: String
        /// False when the binding may not happen (inside `if`, `for`, `try`...).
        public var definite: Bool
        /// For `import`: the statements that bind it (`import numpy as np`).
        public var imports: [String]
        public var line: Int
    }

    /// A name a cell changes in place (`df["x"] = ...`, `rows.append(...)`, `model.fit(...)`).
    public struct Mutation: Decodable, Sendable {
        public var name: String
        public var line: Int
        public var col: Int
    }

    /// A function or class a cell defines: the global names its body (and header) reads when it runs.
    public struct Function: Decodable, Sendable {
        public var kind: String
        public var freeReads: [String]
    }

    /// A literal path passed to `open`, `pandas.read_*`, `np.save`, `to_csv`...
    public struct PathUse: Decodable, Sendable {
        public var path: String
        /// `read` or `write`.
        public var mode: String
        public var line: Int
        public var col: Int
        public var conditional: Bool
        public var via: String?
    }

    public struct Import: Decodable, Sendable {
        /// The top-level module (`sklearn` for `from sklearn.svm import SVC`).
        public var module: String
        public var line: Int
        public var col: Int
    }

    /// A statement that configures a module for every later cell (`pd.set_option(...)`).
    public struct Setup: Decodable, Sendable {
        /// The name the module is bound to (`pd`).
        public var module: String
        public var text: String
        public var line: Int
    }

    /// A `name = literal` of the `parameters` cell.
    public struct Parameter: Decodable, Sendable {
        public var name: String
        public var value: TaggedValue
        public var line: Int
    }

    /// `%env NAME=VALUE`.
    public struct EnvironmentSetting: Decodable, Sendable {
        public var name: String
        public var value: String
        public var line: Int
    }

    /// Something the analysis could not carry over, or changed on the way.
    public struct Message: Decodable, Sendable {
        /// `warning` (behaviour may differ) or `note` (dropped or rewritten, nothing lost).
        public var severity: String
        public var line: Int
        public var col: Int
        public var length: Int
        public var message: String
        public var notes: [String]
    }

    /// One non-empty code cell.
    public struct CodeCell: Decodable, Sendable {
        public var number: Int
        /// `python`, or `bash`/`sh` for a `%%bash`/`%%sh` cell.
        public var language: String
        /// The cell as Python: magics commented out or unwrapped, the parameters' literals
        /// blanked, the last expression wrapped in `splitbook.show(...)`.
        public var body: String
        public var reads: [Read]
        public var defs: [Definition]
        public var mutations: [Mutation]
        public var functions: [String: Function]
        public var paths: [PathUse]
        public var imports: [Import]
        public var setups: [Setup]
        /// From `%pip install` lines.
        public var requirements: [String]
        /// From `%pip install -r FILE`.
        public var requirementFiles: [String]
        public var env: [EnvironmentSetting]
        /// Draws with matplotlib (its figures are shown as Jupyter's inline backend would).
        public var plots: Bool
        /// Set on the first `parameters`-tagged cell.
        public var parameters: [Parameter]?
        /// `from __future__ import ...` statements, which must open the file.
        public var future: [String]
        public var display: Bool
        public var warnings: [Message]
    }

    public var cells: [SourceCell]
    public var analysis: [CodeCell]
    /// Top-level module -> the installed distributions that provide it, in the analysing Python.
    public var distributions: [String: [String]]
    /// Python's builtin names (a read of one that no cell defines is not a hand-off).
    public var builtins: [String]
    /// The analysing interpreter's version.
    public var python: String
}

/// A literal with its Python type kept (`1.0` stays a float): `{"t": "float", "v": "1.0"}`.
public indirect enum TaggedValue: Decodable, Sendable {
    case value(JSONValue)

    public var json: JSONValue {
        if case .value(let v) = self { return v }
        return .null
    }

    private enum Keys: String, CodingKey { case t, v }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        switch try container.decode(String.self, forKey: .t) {
        case "null": self = .value(.null)
        case "bool": self = .value(.bool(try container.decode(Bool.self, forKey: .v)))
        case "int": self = .value(.int(try container.decode(Int.self, forKey: .v)))
        case "float": self = .value(.double(Double(try container.decode(String.self, forKey: .v)) ?? 0))
        case "str": self = .value(.string(try container.decode(String.self, forKey: .v)))
        case "list": self = .value(.array(try container.decode([TaggedValue].self, forKey: .v).map(\.json)))
        case "dict": self = .value(.object(try container.decode([String: TaggedValue].self, forKey: .v).mapValues(\.json)))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .t, in: container, debugDescription: "unknown literal type \(other)")
        }
    }
}
