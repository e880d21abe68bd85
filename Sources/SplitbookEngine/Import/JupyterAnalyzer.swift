import Foundation

/// Runs the analyzer (`JupyterAnalyzerSource`) on an `.ipynb` with a Python
/// interpreter and decodes its answer.
public enum JupyterAnalyzer {
    /// The notebook could not be read: not found, not JSON, not nbformat 4, not
    /// Python; `line`/`column` point into the file when the problem has a place.
    public struct Refusal: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var line: Int?
        public var column: Int?

        public var description: String {
            let place = line.map { ":\($0)" + (column.map { ":\($0)" } ?? "") } ?? ""
            return "\(path)\(place): error: \(message)"
        }
    }

    /// The analyzer could not run (no Python, a crash): not the notebook's fault.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Analyses the notebook at `path` with `python` (a command on PATH or a path).
    public static func analyze(path: String, python: String, environment: [String: String]) throws -> JupyterAnalysis {
        guard FileManager.default.fileExists(atPath: path) else {
            throw Refusal(path: path, message: "no such file")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw Refusal(path: path, message: "is a directory, not a notebook")
        }
        let process = Process()
        if python.contains("/") {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-I", "-c", JupyterAnalyzerSource.source, path]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, "-I", "-c", JupyterAnalyzerSource.source, path]
        }
        var env = environment
        env["PYTHONIOENCODING"] = "utf-8"
        process.environment = env
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start \(python): \(error)")
        }
        // Both pipes are drained at once: a large answer must not block on a full stderr, or the reverse.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            errorData = PackageInventory.readAll(errors.fileHandleForReading.fileDescriptor)
            group.leave()
        }
        let data = PackageInventory.readAll(output.fileHandleForReading.fileDescriptor)
        group.wait()
        process.waitUntilExit()
        let stderr = String(decoding: errorData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 {
                throw Failure(description: "cannot run \(python): not found on PATH (the analysis runs in the notebook's Python; pass --python)")
            }
            throw Failure(description: "the analysis failed in \(python) (exit \(process.terminationStatus)):\n\(stderr)")
        }
        if let refusal = try? JSONDecoder().decode(RefusalAnswer.self, from: data) {
            throw Refusal(path: path, message: refusal.error.message, line: refusal.error.line, column: refusal.error.col)
        }
        do {
            return try JSONDecoder().decode(JupyterAnalysis.self, from: data)
        } catch {
            throw Failure(description: "the analysis in \(python) gave an answer splitbook cannot read (\(error))"
                          + (stderr.isEmpty ? "" : ":\n\(stderr)"))
        }
    }

    private struct RefusalAnswer: Decodable {
        struct Body: Decodable {
            var message: String
            var line: Int?
            var col: Int?
        }
        var error: Body
    }
}
