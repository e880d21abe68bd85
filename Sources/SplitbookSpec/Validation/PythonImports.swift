/// The modules a Python cell's code imports, found line by line: `import a.b
/// as c, d` and `from a.b import c` at any indentation (inside `try:` or a
/// function too), skipping comments and triple-quoted strings. Relative
/// imports (`from . import x`) name the cell's own files and are skipped.
/// Good enough for a warning; the interpreter is the judge at run time.
public enum PythonImports {
    /// One imported top-level module and where its name starts (1-based line and column in the code).
    public struct Import: Sendable, Equatable {
        public var module: String
        public var line: Int
        public var column: Int

        public init(module: String, line: Int, column: Int) {
            self.module = module
            self.line = line
            self.column = column
        }
    }

    public static func scan(_ code: String) -> [Import] {
        var found: [Import] = []
        var openString: Substring?  // the delimiter of a triple-quoted string still open
        for (index, rawLine) in code.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine[...]
            if let delimiter = openString {
                guard let end = line.firstRange(of: delimiter) else { continue }
                line = line[end.upperBound...]
                openString = nil
            }
            if let delimiter = unclosedTripleQuote(in: line) {
                openString = delimiter
                continue
            }
            found += imports(in: line, lineNumber: index + 1, lineStart: rawLine.startIndex, full: rawLine)
        }
        return found
    }

    /// The delimiter of a triple-quoted string that opens on this line and does not close on it.
    private static func unclosedTripleQuote(in line: Substring) -> Substring? {
        var rest = line
        while true {
            let opens = ["\"\"\"", "'''"].compactMap { d in rest.firstRange(of: d).map { (range: $0, delimiter: d) } }
            guard let open = opens.min(by: { $0.range.lowerBound < $1.range.lowerBound }) else { return nil }
            if let hash = rest.firstIndex(of: "#"), hash < open.range.lowerBound { return nil }
            let after = rest[open.range.upperBound...]
            guard let close = after.firstRange(of: open.delimiter) else { return Substring(open.delimiter) }
            rest = after[close.upperBound...]
        }
    }

    private static func imports(in line: Substring, lineNumber: Int, lineStart: String.Index, full: Substring) -> [Import] {
        let text = line.drop { $0 == " " || $0 == "\t" }
        func column(of name: Substring) -> Int { full.distance(from: lineStart, to: name.startIndex) + 1 }
        if text.hasPrefix("import ") || text.hasPrefix("import\t") {
            let list = text.dropFirst(7).prefix { $0 != "#" && $0 != ";" }
            return list.split(separator: ",").compactMap { item in
                let name = item.drop { $0 == " " || $0 == "\t" || $0 == "(" }.prefix { isNameCharacter($0) || $0 == "." }
                guard let top = topLevel(name) else { return nil }
                return Import(module: String(top), line: lineNumber, column: column(of: name))
            }
        }
        if text.hasPrefix("from ") || text.hasPrefix("from\t") {
            let name = text.dropFirst(5).drop { $0 == " " || $0 == "\t" }.prefix { isNameCharacter($0) || $0 == "." }
            guard !name.hasPrefix("."), let top = topLevel(name) else { return [] }
            return [Import(module: String(top), line: lineNumber, column: column(of: name))]
        }
        return []
    }

    private static func topLevel(_ dotted: Substring) -> Substring? {
        let top = dotted.prefix { $0 != "." }
        guard let first = top.first, first.isLetter || first == "_" else { return nil }
        return top
    }

    private static func isNameCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
}
