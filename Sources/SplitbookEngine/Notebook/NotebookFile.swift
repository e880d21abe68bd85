import Foundation
import SplitbookSpec

/// A notebook read from disk: its text, its directory (the root its cells'
/// source paths are relative to) and the result of the static check.
public struct NotebookFile: Sendable {
    public let source: SourceText
    /// The directory holding the notebook; cell inputs and `file:` paths are relative to it.
    public let directory: URL
    public let check: NotebookCheck

    /// Reading the file itself failed (missing, unreadable), or its bytes
    /// cannot be a notebook (too large, not UTF-8: then `location` says where).
    public struct ReadError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public let location: SourceLocation?
        public var description: String { "\(path):\(location.map { "\($0):" } ?? "") error: \(reason)" }
    }

    /// Reads and checks the notebook at `path`. Source files are looked up
    /// relative to its directory; `registryHas` answers for artifacts the
    /// notebook uses but does not publish.
    public init(path: String, registryHas: @escaping @Sendable (ArtifactName) -> Bool = { _ in false }) throws(ReadError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        let root = directory.path
        self.source = try Self.read(path)
        self.directory = directory
        self.check = NotebookCheck(source: source, context: ValidationContext(
            sourceExists: { FileManager.default.fileExists(atPath: root + "/" + $0.rawValue) },
            registryHas: registryHas))
    }

    /// The file's text. Reads at most one byte past `SourceText.maxBytes`, so a
    /// huge file (or an endless one such as a device) is refused after reading
    /// only that much; the bytes are released once decoded.
    private static func read(_ path: String) throws(ReadError) -> SourceText {
        let limit = SourceText.maxBytes + 1
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0 else {
            if fd >= 0 { close(fd) }
            let exists = FileManager.default.fileExists(atPath: path)
            throw ReadError(path: path, reason: exists ? "cannot read the notebook" : "no such notebook file", location: nil)
        }
        defer { close(fd) }
        // Room for the whole file and one more byte, so that the end is found without growing.
        var bytes = [UInt8](repeating: 0, count: min(max(Int(st.st_size), 0) + 1, limit))
        var count = 0
        while count < limit {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, limit - count))) }
            let n = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw ReadError(path: path, reason: "cannot read the notebook", location: nil) }
            if n == 0 { break }
            count += n
        }
        bytes.removeLast(bytes.count - count)
        do {
            return try SourceText(path: path, bytes: bytes)
        } catch {
            throw ReadError(path: path, reason: error.message, location: error.location)
        }
    }

    /// The rendered diagnostics (empty when there are none).
    public var renderedDiagnostics: String {
        DiagnosticRenderer(source: source).render(check.diagnostics)
    }
}
