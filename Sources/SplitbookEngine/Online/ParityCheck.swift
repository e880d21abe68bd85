import Foundation
import SplitbookSpec

/// Replays an endpoint's parity rows through its chain and compares what it
/// answers with what the offline half computed (CONTRACT §12): numbers within
/// the tolerances (absolute or relative, per JSON pointer if given),
/// everything else equal. Rows are streamed line by line, so a file of any
/// size is checked in constant memory.
public struct ParityCheck: Sendable {
    /// One field that differs.
    public struct Difference: Sendable, Equatable {
        public var pointer: String
        public var expected: String
        public var actual: String
        /// For two numbers, how far apart they are.
        public var amount: Double?
    }

    /// A row whose response differs.
    public struct Mismatch: Sendable {
        public var line: Int
        public var request: JSONValue
        public var differences: [Difference]
    }

    /// What a replay found.
    public struct Outcome: Sendable {
        public var rows = 0
        public var differing = 0
        /// The largest difference between two numbers that were compared.
        public var worst = 0.0
        /// The first differing rows (at most `examplesKept`).
        public var examples: [Mismatch] = []
        /// A row that could not be checked at all (not JSON, the chain failed), which stops the replay.
        public var broken: String?

        public var passed: Bool { differing == 0 && broken == nil && rows > 0 }
    }

    public static let examplesKept = 5

    public let spec: ParitySpec
    /// The rows file (a stored object or a file of the bundle).
    public let rowsPath: String
    /// Their content digest, when known (a notebook run records it; export copies that object).
    public let rowsDigest: Digest?

    public init(spec: ParitySpec, rowsPath: String, rowsDigest: Digest? = nil) {
        self.spec = spec
        self.rowsPath = rowsPath
        self.rowsDigest = rowsDigest
    }

    /// Sends each row's request through `call` and compares the answers.
    public func run(_ call: (JSONValue) -> Result<JSONValue, any Error>) -> Outcome {
        var outcome = Outcome()
        guard let lines = LineReader(path: rowsPath) else {
            outcome.broken = "cannot read the parity rows \(rowsPath)"
            return outcome
        }
        var number = 0
        while let line = lines.next() {
            number += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard case .object(let row)? = JSONValue.parseJSON(line), let request = row["request"], let expected = row["response"] else {
                outcome.broken = "line \(number) of the parity rows is not {\"request\": ..., \"response\": ...}"
                return outcome
            }
            outcome.rows += 1
            let actual: JSONValue
            switch call(request) {
            case .success(let value): actual = value
            case .failure(let error):
                outcome.broken = "row \(number) failed: \(error)"
                return outcome
            }
            var worst = outcome.worst
            let differences = compare(expected, actual, pointer: "", worst: &worst)
            outcome.worst = worst
            if !differences.isEmpty {
                outcome.differing += 1
                if outcome.examples.count < Self.examplesKept {
                    outcome.examples.append(Mismatch(line: number, request: request, differences: differences))
                }
            }
        }
        if outcome.rows == 0, outcome.broken == nil { outcome.broken = "the parity rows hold no row" }
        return outcome
    }

    /// The differences between the offline and the online answer, by JSON pointer.
    func compare(_ expected: JSONValue, _ actual: JSONValue, pointer: String, worst: inout Double) -> [Difference] {
        switch (expected, actual) {
        case (.object(let a), .object(let b)):
            return Set(a.keys).union(b.keys).sorted().flatMap { key -> [Difference] in
                let child = pointer + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                guard let x = a[key], let y = b[key] else {
                    return [Difference(pointer: child, expected: a[key]?.canonicalJSON ?? "(absent)", actual: b[key]?.canonicalJSON ?? "(absent)")]
                }
                return compare(x, y, pointer: child, worst: &worst)
            }
        case (.array(let a), .array(let b)) where a.count == b.count:
            return zip(a, b).enumerated().flatMap { compare($1.0, $1.1, pointer: pointer + "/\($0)", worst: &worst) }
        default:
            if let x = expected.number, let y = actual.number {
                let amount = abs(x - y)
                worst = max(worst, amount)
                let allowed = max(spec.tolerance.bound(at: pointer), spec.relative.bound(at: pointer) * max(abs(x), abs(y)))
                return amount <= allowed ? [] : [Difference(pointer: pointer, expected: expected.canonicalJSON, actual: actual.canonicalJSON, amount: amount)]
            }
            return expected == actual ? [] : [Difference(pointer: pointer, expected: expected.canonicalJSON, actual: actual.canonicalJSON)]
        }
    }

    /// The outcome in words: the counts, then the first differing rows side by side.
    public func describe(_ outcome: Outcome) -> String {
        var text = "parity: \(outcome.rows) row\(outcome.rows == 1 ? "" : "s") checked, \(outcome.differing) differ"
            + (outcome.worst > 0 ? ", worst difference \(Self.significant(outcome.worst))" : "")
        if let broken = outcome.broken { text += "; \(broken)" }
        for mismatch in outcome.examples {
            text += "\n\nrow at line \(mismatch.line): request \(Self.clip(mismatch.request.canonicalJSON, 160))"
            let width = max(7, mismatch.differences.map(\.pointer.count).max() ?? 0)
            let column = max(16, mismatch.differences.map { min($0.expected.count, 40) }.max() ?? 0)
            text += "\n  " + "pointer".padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + "offline (rows)".padding(toLength: column, withPad: " ", startingAt: 0) + "  online (now)"
            for d in mismatch.differences.prefix(8) {
                let allowed = d.amount.map { "  difference \(Self.significant($0)) > allowed \(allowedText(d.pointer))" } ?? ""
                text += "\n  " + (d.pointer.isEmpty ? "(whole)" : d.pointer).padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + Self.clip(d.expected, 40).padding(toLength: column, withPad: " ", startingAt: 0) + "  " + Self.clip(d.actual, 40) + allowed
            }
            if mismatch.differences.count > 8 { text += "\n  ... and \(mismatch.differences.count - 8) more fields" }
        }
        return text
    }

    private func allowedText(_ pointer: String) -> String {
        let absolute = spec.tolerance.bound(at: pointer), relative = spec.relative.bound(at: pointer)
        return relative > 0 ? "\(Self.significant(absolute)) or \(Self.significant(relative)) relative" : Self.significant(absolute)
    }

    /// Four significant digits (`0.02217`, `1e-06`): a difference as a message shows it.
    static func significant(_ value: Double) -> String { String(format: "%.4g", value) }

    private static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 3)) + "..."
    }
}

/// Reads a file line by line through a fixed buffer (newline-terminated
/// lines; the last may lack one), retrying on EINTR.
final class LineReader {
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0, end = 0
    private var atEnd = false

    init?(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
    }

    deinit { close(fd) }

    func next() -> [UInt8]? {
        var line: [UInt8] = []
        while true {
            if let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                line += buffer[start..<newline]
                start = newline + 1
                return line
            }
            line += buffer[start..<end]
            start = 0
            end = 0
            if atEnd { return line.isEmpty ? nil : line }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { atEnd = true } else { end = n }
        }
    }
}
