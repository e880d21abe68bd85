/// The text of a notebook file with the path the user gave for it.
public struct SourceText: Sendable {
    /// The path as the user gave it (used verbatim in `path:line:col`).
    public let path: String
    public let text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    /// The file's lines without their line breaks (`\n`, `\r\n` or `\r`).
    /// Computed on demand: only rendering a diagnostic needs it.
    public func lines() -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    }
}
