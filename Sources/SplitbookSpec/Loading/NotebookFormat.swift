/// The notebook file format (CONTRACT §1) as data: every key, its type and
/// its meaning. The loader checks documents against it and `splitbook schema`
/// is generated from it, so the two can never disagree.
public enum NotebookFormat {
    /// The only format version so far.
    public static let version = 1

    /// A key of a mapping in the format.
    public struct Field: Sendable {
        public let name: String
        public let type: FieldType
        public let summary: String
    }

    /// The keys of the notebook's top-level mapping.
    public static let notebookFields: [Field] = [
        Field(name: "splitbook", type: .integer(minimum: 1, maximum: 1), summary: "Format version; optional, only 1 exists."),
        Field(name: "title", type: .string(nil), summary: "Shown at the top of reports."),
        Field(name: "description", type: .string(nil), summary: "A longer description, shown under the title."),
        Field(name: "params", type: .map(key: .paramName, value: .json),
              summary: "Parameter defaults; override with `splitbook run -p name=value`."),
        Field(name: "env", type: .map(key: .envName, value: .scalar),
              summary: "Environment variables for every cell (part of every step key)."),
        Field(name: "latency_budget_ms", type: .number(exclusiveMinimum: 0),
              summary: "Latency budget for online cells in milliseconds (default 200)."),
        Field(name: "python", type: .python,
              summary: "The packages Python cells import: {requirements: [...] or a file, version: \"3.11\"}; locked in NAME.lock."),
        Field(name: "cells", type: .cells, summary: "The notebook's markdown and code cells, in order."),
    ]

    /// The only key of a markdown cell.
    public static let markdownFields: [Field] = [
        Field(name: "markdown", type: .string(nil), summary: "Markdown text, shown in reports."),
    ]

    /// The keys of a code cell.
    public static let codeCellFields: [Field] = [
        Field(name: "id", type: .string(.cellID), summary: "Required; unique in the notebook."),
        Field(name: "stage", type: .choice(Stage.allCases.map(\.rawValue)),
              summary: "offline (default): part of the batch job. online: part of the serving side."),
        Field(name: "lang", type: .string(nil),
              summary: "sh (default), bash, python, swift; any other needs `interpreter`."),
        Field(name: "interpreter", type: .list(.string(nil), minItems: 1),
              summary: "The command that runs the cell's script; the script path is appended."),
        Field(name: "code", type: .string(nil), summary: "Inline code (exactly one of code and file)."),
        Field(name: "file", type: .string(.relativePath),
              summary: "A source file relative to the notebook's directory (exactly one of code and file)."),
        Field(name: "needs", type: .list(.string(.cellID), minItems: 0), summary: "Cells this cell runs after and depends on."),
        Field(name: "inputs", type: .list(.string(.relativePath), minItems: 0),
              summary: "Paths the cell reads: another cell's output, or a file or directory under the notebook's directory."),
        Field(name: "outputs", type: .list(.string(.relativePath), minItems: 0),
              summary: "Paths the cell must write, relative to its working directory; unique across the notebook."),
        Field(name: "params", type: .list(.string(.paramName), minItems: 0),
              summary: "Names of the notebook params the cell uses; absent means all, [] means none."),
        Field(name: "env", type: .map(key: .envName, value: .scalar), summary: "Extra environment variables (part of the step key)."),
        Field(name: "secrets", type: .list(.string(.envName), minItems: 0),
              summary: "Environment variables passed through from the caller; never in the key, never printed."),
        Field(name: "publish", type: .map(key: .artifactName, value: .string(.relativePath)),
              summary: "Offline only: artifacts to publish to the registry, `name: output_path`."),
        Field(name: "uses", type: .list(.string(.artifactReference), minItems: 0),
              summary: "Registry artifacts the cell loads: name, name@VERSION or name@ALIAS (default latest)."),
        Field(name: "sample", type: .json,
              summary: "Online only: one sample request, or {samples: [...]} for several."),
        Field(name: "timeout", type: .number(exclusiveMinimum: 0), summary: "Seconds; the cell fails when exceeded."),
        Field(name: "cache", type: .boolean, summary: "false: always rerun (live data)."),
        Field(name: "latency_budget_ms", type: .number(exclusiveMinimum: 0),
              summary: "Latency budget for this online cell in milliseconds."),
        Field(name: "python", type: .python, summary: "Python cells only: this cell's own packages, replacing the notebook's `python`."),
        Field(name: "request_schema", type: .json,
              summary: "Online endpoints: a JSON Schema every request must follow; `serve` answers 422 otherwise, `check` validates the samples."),
        Field(name: "max_batch", type: .integer(minimum: 1, maximum: 4096),
              summary: "Online Python cells with handle_batch(requests): the most requests in one batch (default 32)."),
        Field(name: "max_wait_ms", type: .integer(minimum: 0, maximum: 1000),
              summary: "Online Python cells with handle_batch: how long an idle worker waits for a batch to fill, in milliseconds (default 0: batches form while it is busy)."),
        Field(name: "parity", type: .parity,
              summary: "Online endpoints: {rows: CELL/FILE.jsonl, tolerance, relative}: offline rows the chain must reproduce."),
    ]

    /// The keys of a `parity:` block.
    public static let parityFields: [Field] = [
        Field(name: "rows", type: .string(.relativePath),
              summary: "Required: CELL/FILE, an offline cell's output of {\"request\": ..., \"response\": ...} lines (or a file)."),
        Field(name: "tolerance", type: .tolerance,
              summary: "Absolute difference allowed between numbers: one number, or {/json/pointer: number}; default 0."),
        Field(name: "relative", type: .tolerance,
              summary: "Relative difference allowed (of the larger magnitude): one number, or {/json/pointer: number}; default 0."),
    ]

    /// The keys of a `python:` block.
    public static let pythonFields: [Field] = [
        Field(name: "requirements", type: .requirements,
              summary: "Required: a list of requirement specifiers (`numpy>=2`), or the path of a requirements file."),
        Field(name: "version", type: .string(.pythonVersion), summary: "The Python version the environment needs, e.g. \"3.11\"."),
    ]
}

/// The type of a value in the format.
public indirect enum FieldType: Sendable {
    /// A string, optionally following a pattern.
    case string(ValuePattern?)
    case integer(minimum: Int?, maximum: Int?)
    case number(exclusiveMinimum: Double?)
    case boolean
    /// One of a fixed set of strings.
    case choice([String])
    case list(FieldType, minItems: Int)
    /// A mapping whose keys follow a pattern.
    case map(key: ValuePattern, value: FieldType)
    /// A string, number or boolean (environment values).
    case scalar
    /// Any JSON value.
    case json
    /// The list of cells.
    case cells
    /// A `python:` block (`pythonFields`).
    case python
    /// A list of requirement specifiers, or the path of a requirements file.
    case requirements
    /// A `parity:` block (`parityFields`).
    case parity
    /// A non-negative number, or a mapping of JSON pointers to non-negative numbers.
    case tolerance

    /// The type in words, for "must be ..." messages.
    public var phrase: String {
        switch self {
        case .string(let pattern?): return "a \(pattern.noun)"
        case .string(nil): return "a string"
        case .integer(let min?, let max?) where min == max: return "the number \(min)"
        case .integer(let min?, let max?): return "a whole number from \(min) to \(max)"
        case .integer: return "a whole number"
        case .number(let min?): return "a number greater than \(min == min.rounded() ? String(Int(min)) : String(min))"
        case .number: return "a number"
        case .boolean: return "true or false"
        case .choice(let options): return "one of " + options.joined(separator: ", ")
        case .list(let element, _): return "a list of \(element.pluralNoun)"
        case .map(let key, let value): return "a mapping of \(key.noun)s to \(value.pluralNoun)"
        case .scalar: return "a string, number or boolean"
        case .json: return "a JSON value"
        case .cells: return "a list of cells"
        case .python: return "a mapping with 'requirements' and optionally 'version'"
        case .requirements: return "a list of requirements (like numpy>=2) or the path of a requirements file"
        case .parity: return "a mapping with 'rows' and optionally 'tolerance' and 'relative'"
        case .tolerance: return "a number of at least 0, or a mapping of JSON pointers (/field) to such numbers"
        }
    }

    private var pluralNoun: String {
        switch self {
        case .string(let pattern?): return pattern.noun + "s"
        case .string(nil): return "strings"
        case .number: return "numbers"
        case .scalar: return "strings, numbers or booleans"
        default: return "values"
        }
    }
}
