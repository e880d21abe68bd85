import Foundation
import NIOCore
import SplitbookSpec

/// An online cell ready to answer requests (CONTRACT §5): a Python cell is
/// one long-lived process that ran the cell's code once and calls `handle`
/// per request (`PythonWorkerDriver`); any other language runs its script once
/// per request, with the request on stdin and the response on stdout. A
/// server attaches a Python worker's pipes to an event loop
/// (`PipelinedWorker`), several requests in flight; a notebook run drives it
/// one request at a time, blocking. Each process runs under
/// a supervisor, is driven with deadlines (`ChildProcess`) and is killed with
/// its whole group when done: whatever the program does (ignores stdin, exits
/// early, writes garbage or too much, never exits), the request gets a
/// `Failure` and nothing is left behind.
final class OnlineWorker: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        /// `cell`: the cell raised, the worker is fine; `timeout`: this request
        /// took too long; `crashed`: the worker died or broke the protocol;
        /// `replaced`: the request was in flight on a worker that another
        /// request's timeout ended.
        enum Kind { case cell, timeout, crashed, replaced }
        var error: CellError
        var kind: Kind = .cell

        init(error: CellError, kind: Kind = .cell) {
            self.error = error
            self.kind = kind
        }

        init(description: String, kind: Kind = .cell) {
            self.init(error: CellError(type: "CellError", message: description, traceback: ""), kind: kind)
        }

        /// A Python worker's `{"error": {"type", "message", "traceback"}}` line.
        init(pythonError line: [UInt8]) {
            guard case .object(let message)? = JSONValue.parseJSON(line), case .object(let error)? = message["error"] else {
                self.init(description: String(decoding: line, as: UTF8.self))
                return
            }
            self.init(error: CellError(type: error["type"]?.environmentText ?? "Error", message: error["message"]?.environmentText ?? "",
                                       traceback: error["traceback"]?.environmentText ?? ""))
        }

        var description: String { error.description }

        /// `error` as a failure: itself, or (anything else from a channel or a pool) a crash.
        static func of(_ error: any Error) -> Failure {
            error as? Failure ?? Failure(description: "\(error)", kind: .crashed)
        }
    }

    /// The most a cell may write as one response, in bytes.
    static let responseLimit = 16 << 20

    private let command: [String]
    private let script: String
    private let isPython: Bool
    private let directory: String
    private let environment: [String: String]
    private let stderrPath: String
    private var worker: ChildProcess?

    /// How a Python worker batches requests for `handle_batch` (the driver's arguments).
    struct Batching {
        var maxBatch: Int
        var maxWaitMs: Int
    }

    private var pipelined: PipelinedWorker?
    private var lastID: UInt64 = 0

    /// Starts the worker; for Python, waits (up to `timeout`) until the cell's
    /// code has run, then hands its pipes to `eventLoop` when one is given.
    init(command: [String], script: String, driver: String?, batching: Batching, directory: String, environment: [String: String],
         stderrPath: String, timeout: Double, eventLoop: (any EventLoop)? = nil, onBatch: (@Sendable (Int) -> Void)? = nil) throws(Failure) {
        self.command = command
        self.script = script
        self.isPython = driver != nil
        self.directory = directory
        self.environment = environment
        self.stderrPath = stderrPath
        guard let driver else { return }
        let deadline = DispatchTime.now() + timeout
        let worker: ChildProcess
        do {
            worker = try ChildProcess.start(command + [driver, script, String(batching.maxBatch), String(batching.maxWaitMs)],
                                            environment: environment, directory: directory, stderrPath: stderrPath)
        } catch {
            throw Failure(description: error.description)
        }
        self.worker = worker
        let problem: String? = switch worker.exchange(until: deadline, limit: Self.responseLimit, goal: .line) {
        case .line: nil
        case .endOfOutput: "the worker exited while loading the cell"
        case .deadline: "the cell did not finish loading within \(Int(timeout)) s"
        case .overLimit: "the worker wrote more than \(Self.responseLimit >> 20) MiB while loading the cell"
        }
        if let problem {
            stop()
            throw Failure(description: problem)
        }
        let line = worker.takeLine() ?? []
        guard case .object(let message)? = JSONValue.parseJSON(line), message["ready"] == .bool(true) else {
            stop()
            throw Failure(description: "loading the cell failed: " + Failure(pythonError: line).description)
        }
        guard let eventLoop else { return }
        do {
            pipelined = try PipelinedWorker(pipes: worker.detachPipes(), on: eventLoop, onBatch: onBatch)
        } catch {
            stop()
            throw Failure(description: "cannot attach the worker's pipes to an event loop: \(error)")
        }
    }

    /// Answers one request, blocking the calling thread.
    func call(_ request: JSONValue, timeout: Double) -> Result<JSONValue, Failure> {
        guard isPython else { return callOnce(request, timeout: timeout) }
        if let pipelined {
            do {
                return Self.decode(try pipelined.call(request, timeout: timeout).wait().readableBytesView)
            } catch {
                return .failure(Failure.of(error))
            }
        }
        return callPython(request, timeout: timeout)
    }

    /// Answers one request without blocking a thread of the caller's: an
    /// attached Python worker through its channel, anything else on
    /// `BlockingWork`'s threads. `completion` runs on `eventLoop`.
    func respond(_ request: JSONValue, timeout: Double, on eventLoop: any EventLoop,
                 completion: @escaping @Sendable (Result<JSONValue, Failure>) -> Void) {
        guard let pipelined else {
            BlockingWork.submit(on: eventLoop) { self.call(request, timeout: timeout) }.whenComplete { result in
                completion(result.flatMapError { .failure(Failure.of($0)) }.flatMap { $0 })
            }
            return
        }
        let sameLoop = pipelined.eventLoop === eventLoop
        pipelined.call(request, timeout: timeout).whenComplete { line in
            let result: Result<JSONValue, Failure> = switch line {
            case .success(let line): Self.decode(line.readableBytesView)
            case .failure(let error): .failure(Failure.of(error))
            }
            if sameLoop { completion(result) } else { eventLoop.execute { completion(result) } }
        }
    }

    /// One request through a Python worker that is not attached to an event loop.
    private func callPython(_ request: JSONValue, timeout: Double) -> Result<JSONValue, Failure> {
        guard let worker else { return .failure(Failure(description: "the worker process exited", kind: .crashed)) }
        lastID += 1
        worker.send(PythonWorkerDriver.request(id: lastID, json: request.canonicalJSON).utf8)
        let deadline = DispatchTime.now() + timeout
        while true {
            let failure: Failure? = switch worker.exchange(until: deadline, limit: Self.responseLimit, goal: .line) {
            case .line: nil
            case .endOfOutput: Failure(description: "the worker process exited", kind: .crashed)
            case .deadline: Failure(description: "no response within \(Int(timeout)) s", kind: .timeout)
            case .overLimit: Failure(description: "the worker wrote a response of more than \(Self.responseLimit >> 20) MiB", kind: .crashed)
            }
            if let failure {
                stop()
                return .failure(failure)
            }
            let line = worker.takeLine() ?? []
            switch PythonWorkerDriver.reply(line) {
            case .answer(let id) where id == lastID: return Self.decode(line)
            case .batch: continue
            case .answer, .invalid:
                stop()
                return .failure(Failure(description: "the worker wrote something outside the protocol", kind: .crashed))
            }
        }
    }

    /// A worker's answer line: its `response`, or the cell's error.
    private static func decode(_ line: some Collection<UInt8>) -> Result<JSONValue, Failure> {
        let line = Array(line)
        // The usual answer: only its value is read (the envelope is the driver's own).
        if let value = PythonWorkerDriver.responseValue(in: line), let response = JSONValue.parseJSON(value) { return .success(response) }
        guard case .object(let message)? = JSONValue.parseJSON(line) else {
            return .failure(Failure(description: "the worker wrote something that is not JSON"))
        }
        if let response = message["response"] { return .success(response) }
        return .failure(Failure(pythonError: line))
    }

    /// One process per request: request on stdin, response on stdout.
    private func callOnce(_ request: JSONValue, timeout: Double) -> Result<JSONValue, Failure> {
        let deadline = DispatchTime.now() + timeout
        let process: ChildProcess
        do {
            process = try ChildProcess.start(command + [script], environment: environment, directory: directory, stderrPath: stderrPath)
        } catch {
            return .failure(Failure(description: error.description))
        }
        defer { process.stop() }
        let body = Array(request.canonicalJSON.utf8)
        process.send(body)
        switch process.exchange(until: deadline, limit: Self.responseLimit, goal: .endOfOutput) {
        case .endOfOutput, .line: break
        case .deadline: return .failure(Failure(description: "no response within \(Int(timeout)) s", kind: .timeout))
        case .overLimit: return .failure(Failure(description: "the cell wrote more than \(Self.responseLimit >> 20) MiB to stdout"))
        }
        guard let status = process.finish(by: deadline) else {
            return .failure(Failure(description: "the cell closed its stdout but did not exit within \(Int(timeout)) s", kind: .timeout))
        }
        if status & 0x7F != 0 { return .failure(Failure(description: "the cell was killed by signal \(status & 0x7F)")) }
        if status >> 8 != 0 { return .failure(Failure(description: "the cell exited with status \(status >> 8)")) }
        let unread = process.unreadInput
        if unread > 0 {
            return .failure(Failure(description: "the cell exited without reading its request from stdin (\(unread) of \(body.count) bytes unread)"))
        }
        guard let response = JSONValue.parseJSON(process.received) else {
            return .failure(Failure(description: "the cell's stdout is not one JSON value: \(String(decoding: process.received.prefix(200), as: UTF8.self))"))
        }
        return .success(response)
    }

    /// The long-lived process's pid (Python cells), nil otherwise: its supervisor, whose death takes the process with it.
    var pid: Int32? { worker?.pid }

    func stop() {
        pipelined?.stop()
        pipelined = nil
        worker?.stop()
        worker = nil
    }

    deinit { stop() }
}

/// What an online cell raised or did wrong: the exception's type and message
/// (Python), or `CellError` and what the process did; the traceback is for
/// logs and notebook runs, not for clients.
public struct CellError: Error, Sendable, CustomStringConvertible {
    public var type: String
    public var message: String
    public var traceback: String

    public var description: String {
        let head = type == "CellError" ? message : "\(type): \(message)"
        return traceback.isEmpty ? head : head + "\n" + traceback
    }
}
