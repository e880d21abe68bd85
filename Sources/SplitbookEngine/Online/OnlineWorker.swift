import Foundation
import SplitbookSpec

/// An online cell ready to answer requests (CONTRACT §5): a Python cell is
/// one long-lived process that ran the cell's code once and calls `handle`
/// per request; any other language runs its script once per request, with
/// the request on stdin and the response on stdout.
final class OnlineWorker: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        enum Kind { case cell, timeout, crashed }
        let description: String
        var kind: Kind = .cell
    }

    private let command: [String]
    private let script: String
    private let directory: String
    private let environment: [String: String]
    private let stderrPath: String
    private var process: Process?
    private var input: FileHandle?
    private var lines: LineReader?

    /// Starts the worker; for Python, waits (up to `timeout`) until the cell's code has run.
    init(command: [String], script: String, driver: String?, directory: String, environment: [String: String],
         stderrPath: String, timeout: Double) throws(Failure) {
        self.command = command
        self.script = script
        self.directory = directory
        self.environment = environment
        self.stderrPath = stderrPath
        guard let driver else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + [driver, script]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        if !FileManager.default.fileExists(atPath: stderrPath) { _ = FileManager.default.createFile(atPath: stderrPath, contents: nil) }
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        do { try process.run() } catch { throw Failure(description: "cannot start \(command[0]): \(error)") }
        self.process = process
        self.input = stdin.fileHandleForWriting
        let reader = LineReader(stdout.fileHandleForReading)
        self.lines = reader
        guard let line = reader.next(timeout: timeout) else {
            stop()
            throw Failure(description: "the cell did not finish loading within \(Int(timeout)) s")
        }
        guard case .object(let message)? = JSONValue.parseJSON(Data(line.utf8)), message["ready"] == .bool(true) else {
            stop()
            throw Failure(description: "loading the cell failed: " + Self.describeError(line))
        }
    }

    /// Answers one request.
    func call(_ request: JSONValue, timeout: Double) -> Result<JSONValue, Failure> {
        if let input, let lines {
            input.write(Data((request.canonicalJSON + "\n").utf8))
            guard let line = lines.next(timeout: timeout) else {
                // End of stream means the process died; otherwise the wait timed out.
                let died = lines.isClosed || process.map { !$0.isRunning } ?? true
                stop()
                return .failure(died ? Failure(description: "the worker process exited", kind: .crashed)
                                     : Failure(description: "no response within \(Int(timeout)) s", kind: .timeout))
            }
            guard case .object(let message)? = JSONValue.parseJSON(Data(line.utf8)) else {
                return .failure(Failure(description: "the worker wrote something that is not JSON"))
            }
            if let response = message["response"] { return .success(response) }
            return .failure(Failure(description: Self.describeError(line)))
        }
        return callOnce(request, timeout: timeout)
    }

    /// One process per request: request on stdin, response on stdout.
    private func callOnce(_ request: JSONValue, timeout: Double) -> Result<JSONValue, Failure> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + [script]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        let log = FileHandle(forWritingAtPath: stderrPath) ?? FileHandle.nullDevice
        log.seekToEndOfFile()
        process.standardError = log
        do { try process.run() } catch { return .failure(Failure(description: "cannot start \(command[0]): \(error)")) }
        stdin.fileHandleForWriting.write(Data(request.canonicalJSON.utf8))
        try? stdin.fileHandleForWriting.close()
        let timedOut = ManagedFlag()
        let timer = DispatchWorkItem { timedOut.set(); process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        if timedOut.isSet { return .failure(Failure(description: "no response within \(Int(timeout)) s", kind: .timeout)) }
        guard process.terminationStatus == 0 else {
            return .failure(Failure(description: "the cell exited with status \(process.terminationStatus)"))
        }
        guard let response = JSONValue.parseJSON(output) else {
            return .failure(Failure(description: "the cell's stdout is not one JSON value: \(String(decoding: output.prefix(200), as: UTF8.self))"))
        }
        return .success(response)
    }

    /// The long-lived process's pid (Python cells), nil otherwise.
    var pid: Int32? { process?.processIdentifier }

    func stop() {
        try? input?.close()
        if let process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        process = nil
        input = nil
    }

    deinit { stop() }

    static func describeError(_ line: String) -> String {
        guard case .object(let message)? = JSONValue.parseJSON(Data(line.utf8)),
              case .object(let error)? = message["error"] else { return line }
        var text = "\(error["type"]?.environmentText ?? "Error"): \(error["message"]?.environmentText ?? "")"
        if let trace = error["traceback"]?.environmentText, !trace.isEmpty { text += "\n" + trace }
        return text
    }
}

/// Lines from a pipe, read on a background thread so that waiting can time out.
final class LineReader: @unchecked Sendable {
    private let lock = NSCondition()
    private var lines: [String] = []
    private var closed = false

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer = Data(buffer[buffer.index(after: newline)...])
                    lock.lock(); lines.append(line); lock.signal(); lock.unlock()
                }
            }
            lock.lock(); closed = true; lock.broadcast(); lock.unlock()
        }
    }

    /// Whether the stream has ended (the writer closed it or died).
    var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed && lines.isEmpty
    }

    /// The next line, or nil at end of stream or after `timeout` seconds.
    func next(timeout: Double) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while lines.isEmpty, !closed {
            if !lock.wait(until: deadline) { return nil }
        }
        return lines.isEmpty ? nil : lines.removeFirst()
    }
}
