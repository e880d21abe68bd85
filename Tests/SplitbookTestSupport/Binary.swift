import Foundation

/// Runs the real `splitbook` executable, as a user would.
public enum Binary {
    /// The built `splitbook` next to the test bundle (SwiftPM puts every product in one folder).
    public static let url: URL = {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [products.appendingPathComponent("splitbook"),
                          packageRoot.appendingPathComponent(".build/debug/splitbook")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// What a finished process left behind.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `splitbook ARGS` in `directory` and waits for it (with `defaultEnvironment` unless told otherwise).
    public static func run(_ arguments: [String], in directory: URL? = nil,
                           environment: [String: String]? = nil) throws -> Result {
        try Process.capture(url, arguments, in: directory, environment: environment ?? defaultEnvironment)
    }

    /// The test process's environment, plus one Python environment store that
    /// every test run shares (`SPLITBOOK_ENVS=.build/test-envs`: the teaching
    /// notebooks' scikit-learn is installed once, not once per test), and uv
    /// from the pinned test venv on PATH.
    public static var defaultEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SPLITBOOK_ENVS"] = packageRoot.appendingPathComponent(".build/test-envs").path
        if let python = try? PythonEnvironment.python() {
            env["PATH"] = python.deletingLastPathComponent().path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        }
        return env
    }
}

extension Process {
    /// Runs a program to completion, capturing stdout and stderr (read concurrently so neither pipe fills).
    public static func capture(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                               environment: [String: String]? = nil, stdin: Data? = nil) throws -> Binary.Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = readToEnd(err.fileHandleForReading.fileDescriptor)
            group.leave()
        }
        let outData = readToEnd(out.fileHandleForReading.fileDescriptor)
        group.wait()
        process.waitUntilExit()
        return Binary.Result(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A fresh directory under the system's temp folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    /// With `inMemory`, under /dev/shm where it is a directory (tests that
    /// create thousands of small files, which a disk makes slow).
    public init(_ label: String = "splitbook-test", inMemory: Bool = false) throws {
        var isDirectory: ObjCBool = false
        let memory = inMemory && FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
        let base = memory ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        url = base.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `path` under the directory, creating folders.
    @discardableResult
    public func write(_ path: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Everything readable from `fd` until end of file, retrying reads a signal
/// interrupted (Foundation's `readDataToEndOfFile` traps on EINTR).
public func readToEnd(_ fd: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n > 0 { data.append(contentsOf: buffer[0..<n]); continue }
        if n < 0, errno == EINTR { continue }
        return data
    }
}
