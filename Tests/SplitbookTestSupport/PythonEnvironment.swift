import Foundation

/// The one pinned Python virtual environment the tests use for nbformat,
/// jsonschema and PyYAML. Created on first use under `.build/test-venv` from
/// `Tests/requirements.txt`, then reused; a failed install fails the test
/// that needed it (never a silent skip).
public enum PythonEnvironment {
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The venv's `python3`, creating the venv if needed (once per test process).
    public static func python() throws -> URL {
        try cached.get()
    }

    private static let cached: Result<URL, SetupError> = Result { () throws(SetupError) in try create() }

    private static func create() throws(SetupError) -> URL {
        let root = Binary.packageRoot
        let requirements = root.appendingPathComponent("Tests/requirements.txt")
        guard let wanted = try? String(contentsOf: requirements, encoding: .utf8) else {
            throw SetupError(description: "cannot read \(requirements.path)")
        }
        let venv = root.appendingPathComponent(".build/test-venv")
        let python = venv.appendingPathComponent("bin/python3")
        let stamp = venv.appendingPathComponent("requirements.installed")
        if (try? String(contentsOf: stamp, encoding: .utf8)) == wanted,
           FileManager.default.isExecutableFile(atPath: python.path) {
            return python
        }
        // Build in a private folder, then move it into place, so that a killed or
        // concurrent setup never leaves a half-installed venv behind.
        let staging = root.appendingPathComponent(".build/test-venv.\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: staging)
        func run(_ executable: String, _ args: [String]) throws(SetupError) {
            let result: Binary.Result
            do {
                result = try Process.capture(URL(fileURLWithPath: executable), args)
            } catch {
                throw SetupError(description: "cannot start \(executable): \(error)")
            }
            guard result.status == 0 else {
                throw SetupError(description: "\(executable) \(args.joined(separator: " ")) failed:\n\(result.stderr)\(result.stdout)")
            }
        }
        try run("/usr/bin/env", ["python3", "-m", "venv", staging.path])
        try run(staging.appendingPathComponent("bin/python3").path,
                ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements.path])
        do {
            try Data(wanted.utf8).write(to: staging.appendingPathComponent("requirements.installed"))
            try? FileManager.default.removeItem(at: venv)
            try FileManager.default.moveItem(at: staging, to: venv)
        } catch {
            if FileManager.default.isExecutableFile(atPath: python.path) { return python }  // another process won
            throw SetupError(description: "cannot install the test venv: \(error)")
        }
        return python
    }
}
