/// `parity:` on an online endpoint (CONTRACT §12): reference rows computed by
/// the offline half, `{"request": ..., "response": ...}` per line, that the
/// endpoint's chain must reproduce, numbers within a tolerance.
public struct ParitySpec: Sendable {
    /// How close two numbers must be: one bound for every field, or bounds per
    /// JSON pointer (`/probability`); fields not named must be equal.
    public enum Tolerance: Sendable, Equatable {
        case uniform(Double)
        case fields([String: Double])

        /// The bound for the number at `pointer`.
        public func bound(at pointer: String) -> Double {
            switch self {
            case .uniform(let value): value
            case .fields(let map): map[pointer] ?? 0
            }
        }

        /// The tolerance as canonical text (part of the endpoint's key).
        public var canonical: String {
            switch self {
            case .uniform(let value): "\(value)"
            case .fields(let map): map.keys.sorted().map { "\($0)=\(map[$0]!)" }.joined(separator: ",")
            }
        }
    }

    /// `rows: CELL/FILE.jsonl` (an offline cell's output), or a file under the
    /// notebook's directory (a serving bundle carries its rows that way).
    public var rows: Located<RelativePath>
    /// Absolute tolerance (default 0: equal).
    public var tolerance: Tolerance
    /// Relative tolerance, of the larger magnitude (default 0).
    public var relative: Tolerance
    /// The whole `parity:` value.
    public var range: SourceRange

    public init(rows: Located<RelativePath>, tolerance: Tolerance = .uniform(0), relative: Tolerance = .uniform(0), range: SourceRange) {
        self.rows = rows
        self.tolerance = tolerance
        self.relative = relative
        self.range = range
    }

    /// Where the rows come from, given the cells of the notebook.
    public enum Source: Sendable, Equatable {
        /// Output `path` of the cell numbered `producer`.
        case output(producer: Int, path: RelativePath)
        /// A file under the notebook's directory.
        case file(RelativePath)
    }

    /// The rows' source: `CELL/PATH` when CELL is a cell of the notebook, else a file.
    public func source(in graph: CellGraph) -> Source { source(cellIndex: graph.index, producers: graph.producers) }

    func source(cellIndex: [CellID: Int], producers: [RelativePath: Int]) -> Source {
        let components = rows.value.components
        if components.count > 1, let producer = cellIndex[CellID(String(components[0]))] {
            return .output(producer: producer, path: RelativePath(normalized: components.dropFirst().joined(separator: "/")))
        }
        return .file(rows.value)
    }
}
