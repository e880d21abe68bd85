import Foundation
import SplitbookSpec

/// A notebook read from disk: its text, its directory (the root its cells'
/// source paths are relative to) and the result of the static check.
public struct NotebookFile: Sendable {
    public let source: SourceText
    /// The directory holding the notebook; cell inputs and `file:` paths are relative to it.
    public let directory: URL
    public let check: NotebookCheck

    /// Reading the file itself failed (missing, unreadable, not UTF-8).
    public struct ReadError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): error: \(reason)" }
    }

    /// Reads and checks the notebook at `path`. Source files are looked up
    /// relative to its directory; `registryHas` answers for artifacts the
    /// notebook uses but does not publish.
    public init(path: String, registryHas: @escaping @Sendable (ArtifactName) -> Bool = { _ in false }) throws(ReadError) {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ReadError(path: path, reason: exists ? "cannot read the notebook" : "no such notebook file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReadError(path: path, reason: "the notebook is not valid UTF-8 text")
        }
        let directory = url.deletingLastPathComponent()
        let root = directory.path
        self.source = SourceText(path: path, text: text)
        self.directory = directory
        self.check = NotebookCheck(source: source, context: ValidationContext(
            sourceExists: { FileManager.default.fileExists(atPath: root + "/" + $0.rawValue) },
            registryHas: registryHas))
    }

    /// The rendered diagnostics (empty when there are none).
    public var renderedDiagnostics: String {
        DiagnosticRenderer(source: source).render(check.diagnostics)
    }
}
