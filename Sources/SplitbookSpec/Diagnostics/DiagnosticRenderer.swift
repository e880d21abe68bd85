/// Renders diagnostics compiler style:
///
/// ```
/// notebooks/rag.yaml:14:7: error: unknown key 'ouputs' in cell 'clean'
///     ouputs: [clean.jsonl]
///     ^~~~~~
/// note: did you mean 'outputs'?
/// ```
public struct DiagnosticRenderer: Sendable {
    public let source: SourceText
    private let lines: [Substring]

    public init(source: SourceText) {
        self.source = source
        self.lines = source.lines()
    }

    /// The most diagnostics rendered at once; past it a count is shown instead.
    public var limit = 50

    /// All diagnostics (up to `limit`), in source order, each followed by its notes.
    public func render(_ diagnostics: [Diagnostic]) -> String {
        let sorted = DiagnosticRenderer.sorted(diagnostics)
        var out = sorted.prefix(limit).map(render).joined()
        if sorted.count > limit {
            out += "\(source.path): note: \(sorted.count - limit) more problems not shown; fix these first\n"
        }
        return out
    }

    /// Diagnostics in source order (file-level ones first), stable for ties.
    public static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let la = a.element.range?.start ?? SourceLocation(line: 0, column: 0)
            let lb = b.element.range?.start ?? SourceLocation(line: 0, column: 0)
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var out = header(diagnostic.severity.rawValue, diagnostic.message, diagnostic.range)
        for note in diagnostic.notes {
            out += header("note", note.message, note.range)
            if let snippet = note.snippet {
                for line in snippet.split(separator: "\n", omittingEmptySubsequences: false) {
                    out += "    \(line)\n"
                }
            }
        }
        return out
    }

    private func header(_ label: String, _ message: String, _ range: SourceRange?) -> String {
        guard let range else {
            return label == "note" ? "note: \(message)\n" : "\(source.path): \(label): \(message)\n"
        }
        var out = "\(source.path):\(range.start.line):\(range.start.column): \(label): \(message)\n"
        if range.start.line >= 1, range.start.line <= lines.count {
            out += excerpt(Array(lines[range.start.line - 1]), range)
        }
        return out
    }

    /// Longest source excerpt shown; longer lines are cut to a window around the caret.
    private static let maxExcerpt = 160

    /// The source line and a `^~~~` under the range's first line, keeping tabs so it lines up.
    private func excerpt(_ chars: [Character], _ range: SourceRange) -> String {
        let start = min(max(0, range.start.column - 1), chars.count)
        var width = 1
        if range.end.line == range.start.line, range.end.column > range.start.column {
            width = range.end.column - range.start.column
        } else if range.end.line > range.start.line {
            width = chars.count - start  // the node runs past this line: underline to its end
        }
        width = max(1, min(width, chars.count - start, DiagnosticRenderer.maxExcerpt / 2))
        let from = chars.count > DiagnosticRenderer.maxExcerpt ? max(0, start - DiagnosticRenderer.maxExcerpt / 2) : 0
        let to = min(chars.count, from + DiagnosticRenderer.maxExcerpt)
        let lead = from > 0 ? "..." : ""
        var caret = String(repeating: " ", count: lead.count)
        for c in chars[from..<start] { caret.append(c == "\t" ? "\t" : " ") }
        caret += "^" + String(repeating: "~", count: width - 1)
        return lead + String(chars[from..<to]) + (to < chars.count ? "..." : "") + "\n" + caret + "\n"
    }
}
