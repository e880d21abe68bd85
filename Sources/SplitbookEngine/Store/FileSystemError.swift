import Foundation

/// A file operation that failed, with the path and the system's reason.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let path: String
    public let code: Int32

    /// Said instead of the system's text for `code`, when the system did not fail.
    public let reason: String?

    public init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
        self.reason = nil
    }

    public init(_ operation: String, _ path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.code = EIO
        self.reason = reason
    }

    public var description: String { "cannot \(operation) '\(path)': \(reason ?? String(cString: strerror(code)))" }
}
