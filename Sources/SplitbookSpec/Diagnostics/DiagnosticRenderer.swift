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

    public init(source: SourceText) {
        self.source = source
    }

    /// The most diagnostics rendered at once; past it a count is shown instead.
    public var limit = 50

    /// All diagnostics (up to `limit`), in source order, each followed by its notes.
    public func render(_ diagnostics: [Diagnostic]) -> String {
        let sorted = DiagnosticRenderer.sorted(diagnostics)
        let shown = sorted.prefix(limit)
        let lines = source.lines(Set(shown.flatMap(Self.lineNumbers)))
        var out = shown.map { render($0, lines: lines) }.joined()
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
        render(diagnostic, lines: source.lines(Set(Self.lineNumbers(diagnostic))))
    }

    /// The source lines a diagnostic shows: its own and its notes'.
    private static func lineNumbers(_ diagnostic: Diagnostic) -> [Int] {
        ([diagnostic.range] + diagnostic.notes.map(\.range)).compactMap { $0?.start.line }
    }

    private func render(_ diagnostic: Diagnostic, lines: [Int: Substring]) -> String {
        var out = header(diagnostic.severity.rawValue, diagnostic.message, diagnostic.range, lines)
        for note in diagnostic.notes {
            out += header("note", note.message, note.range, lines)
            if let snippet = note.snippet {
                for line in snippet.split(separator: "\n", omittingEmptySubsequences: false) {
                    out += "    \(line)\n"
                }
            }
        }
        return out
    }

    private func header(_ label: String, _ message: String, _ range: SourceRange?, _ lines: [Int: Substring]) -> String {
        guard let range else {
            return label == "note" ? "note: \(message)\n" : "\(source.path): \(label): \(message)\n"
        }
        var out = "\(source.path):\(range.start.line):\(range.start.column): \(label): \(message)\n"
        if let line = lines[range.start.line] {
            out += excerpt(line, range)
        }
        return out
    }

    /// Longest source excerpt shown; longer lines are cut to a window around the caret.
    private static let maxExcerpt = 160

    /// The source line and a `^~~~` under the range's first line, keeping tabs so it lines up.
    /// Only the window shown is walked, so a diagnostic on a huge line costs little.
    private func excerpt(_ line: Substring, _ range: SourceRange) -> String {
        let half = DiagnosticRenderer.maxExcerpt / 2
        // Columns count Unicode scalars; the caret goes under the character holding the column's scalar.
        let scalars = line.unicodeScalars
        let target = scalars.index(scalars.startIndex, offsetBy: max(0, range.start.column - 1), limitedBy: scalars.endIndex)
            ?? scalars.endIndex
        let caretAt = target == line.endIndex ? target : line.index(before: line.index(after: target))
        let long = line.index(line.startIndex, offsetBy: DiagnosticRenderer.maxExcerpt, limitedBy: line.endIndex)
            .map { $0 < line.endIndex } ?? false
        let from = long ? line.index(caretAt, offsetBy: -half, limitedBy: line.startIndex) ?? line.startIndex : line.startIndex
        let lead = from > line.startIndex ? "..." : ""
        let to = line.index(from, offsetBy: DiagnosticRenderer.maxExcerpt, limitedBy: line.endIndex) ?? line.endIndex
        let shown = line[from..<to]
        let rest = shown[caretAt...].count
        var width = 1
        if range.end.line == range.start.line, range.end.column > range.start.column {
            width = range.end.column - range.start.column
        } else if range.end.line > range.start.line {
            width = rest  // the node runs past this line: underline to its end
        }
        width = max(1, min(width, rest, half))
        var caret = String(repeating: " ", count: lead.count)
        for c in line[from..<caretAt] { caret.append(c == "\t" ? "\t" : " ") }
        caret += "^" + String(repeating: "~", count: width - 1)
        return lead + String(shown) + (to < line.endIndex ? "..." : "") + "\n" + caret + "\n"
    }
}
