import Foundation

/// A folder of small wheels built by the test (no network, no build backend),
/// and the environment that makes pip and uv install from it alone.
public struct LocalIndex: Sendable {
    /// Which installer splitbook is told to use.
    public enum Installer: String, Sendable, CaseIterable, CustomStringConvertible {
        case pip, uv
        public var description: String { rawValue }
    }

    public let directory: URL

    public init(in dir: TemporaryDirectory) throws {
        directory = dir.url.appendingPathComponent("wheels")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Builds `NAME-VERSION-py3-none-any.whl` whose modules hold the given sources
    /// (by default one module, NAME with underscores, defining `VERSION`).
    public func wheel(_ name: String, _ version: String, modules: [String: String] = [:], requires: [String] = []) throws {
        let script = Binary.packageRoot.appendingPathComponent("Tests/Scripts/make_wheel.py").path
        let args = [script, directory.path, name, version] + modules.map { "\($0.key)=\($0.value)" } + requires.flatMap { ["--requires", $0] }
        let result = try Process.capture(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + args)
        guard result.status == 0 else { throw SetupError("make_wheel.py failed: \(result.stderr)") }
    }

    /// The caller's environment plus what points both installers at this folder
    /// only (pip: no index; uv: offline), with `installer` chosen; uv comes from
    /// the pinned test venv.
    public func environment(_ installer: Installer, extra: [String: String] = [:]) throws -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SPLITBOOK_ENVS"] = nil  // each test's own store (they count what it holds)
        env["PIP_NO_INDEX"] = "1"
        env["PIP_FIND_LINKS"] = directory.path
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env["UV_OFFLINE"] = "1"
        env["UV_FIND_LINKS"] = directory.path
        env["UV_CACHE_DIR"] = directory.deletingLastPathComponent().appendingPathComponent("uv-cache").path
        env["SPLITBOOK_INSTALLER"] = installer.rawValue
        env["CI"] = "1"
        if installer == .uv {
            let bin = try PythonEnvironment.python().deletingLastPathComponent().path
            env["PATH"] = bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        }
        env.merge(extra) { $1 }
        return env
    }

    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

/// A program started in the background whose output is collected as it runs.
public final class BackgroundProcess: @unchecked Sendable {
    public let process = Process()
    private let group = DispatchGroup()
    private var out = Data(), err = Data()

    /// Starts `executable ARGS` in `directory`.
    public init(_ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for (pipe, isError) in [(outPipe, false), (errPipe, true)] {
            group.enter()
            DispatchQueue.global().async { [self] in
                let data = readToEnd(pipe.fileHandleForReading.fileDescriptor)
                if isError { err = data } else { out = data }
                group.leave()
            }
        }
    }

    /// Waits for it to end; its status (the signal's number when killed) and output.
    public func finish() -> Binary.Result {
        group.wait()
        process.waitUntilExit()
        return Binary.Result(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                             stderr: String(decoding: err, as: UTF8.self))
    }
}
