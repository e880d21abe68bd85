import SplitbookSpec

/// Python source text for values the exported notebook's code cells hold:
/// params as literals, and long texts (the helper module, the setup plan) as
/// strings a reader can still read.
enum PythonLiteral {
    /// `value` as a Python literal: JSON's strings, numbers, lists and objects
    /// are Python's too; null, true and false become None, True and False.
    static func of(_ value: JSONValue) -> String {
        switch value {
        case .null: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let d) where d.isNaN: "float(\"nan\")"
        case .double(let d) where d.isInfinite: d > 0 ? "float(\"inf\")" : "-float(\"inf\")"
        case .double, .string: value.canonicalJSON
        case .array(let items): "[" + items.map(of).joined(separator: ", ") + "]"
        case .object(let members):
            "{" + members.keys.sorted().map { of(.string($0)) + ": " + of(members[$0]!) }.joined(separator: ", ") + "}"
        }
    }

    /// `text` as a Python string literal: a raw triple-quoted string, which
    /// keeps its lines readable, unless the text could end it early; then an
    /// escaped one-line literal.
    static func string(_ text: String) -> String {
        if !text.contains("'''"), !text.hasSuffix("\\"), !text.hasSuffix("'") { return "r'''" + text + "'''" }
        return JSONValue.string(text).canonicalJSON
    }

    /// A name that can hold `name` in Python: itself, or `name_` for a keyword.
    static func variable(_ name: String) -> String {
        keywords.contains(name) ? name + "_" : name
    }

    private static let keywords: Set<String> = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
        "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    ]
}
