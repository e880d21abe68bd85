import Foundation
import NIOCore
import SplitbookSpec

/// A running chain of online cells, head first and the endpoint last: each
/// cell's response is the next cell's request (CONTRACT §5). A notebook run
/// sends one request at a time (`call`, blocking); a server starts its chains
/// on event loops and sends several at once (`respond`).
public final class OnlineChain: @unchecked Sendable {
    /// Why a request through the chain failed.
    public enum Failure: Error, CustomStringConvertible {
        /// The cell raised or answered something that is not JSON; the chain is still healthy.
        case cell(String, CellError)
        /// No answer in time; the chain was stopped and must be restarted.
        case timeout(String, Double)
        /// A worker process died; the chain must be restarted.
        case crashed(String, String)
        /// The request was in flight on a worker that another request's timeout ended; retrying is safe.
        case replaced(String, String)

        /// Whether the chain is broken and must be replaced (anything but the cell raising).
        public var needsRestart: Bool {
            if case .cell = self { return false }
            return true
        }

        public var description: String {
            switch self {
            case .cell(let id, let message): "in '\(id)': \(message)"
            case .timeout(let id, let seconds): "'\(id)' did not answer within \(CellExecutor.seconds(seconds)) s"
            case .crashed(let id, let message): "'\(id)' stopped: \(message)"
            case .replaced(let id, let message): "'\(id)' was restarted: \(message)"
            }
        }
    }

    public let cells: [CellID]
    private let workers: [OnlineWorker]
    private let timeouts: [Double]
    private let bases: [String]
    private let store: ContentStore

    /// The event loop its Python workers' pipes are on (nil for a notebook run's chain).
    public let eventLoop: (any EventLoop)?

    /// Seconds a cell's top level (loading its model) may take at least: a cell's `timeout` bounds
    /// each request, and loading is not answering one (a longer `timeout` gives loading longer too).
    public static let loadTime = 60.0

    /// The largest `max_batch` its cells set (1 if none does): how many requests it needs in flight to fill a batch.
    public let largestBatch: Int

    /// Prepares each cell's directory (inputs and artifacts) and starts its worker.
    /// `stderrPath` collects what the cells print. With an `eventLoop`, Python
    /// workers' pipes become channels on it, and `onBatch` hears the size of
    /// each batch a `handle_batch` answered.
    public init(jobs: [CellJob], executor: CellExecutor, stderrPath: String, defaultTimeout: Double = 30,
                eventLoop: (any EventLoop)? = nil, onBatch: (@Sendable (Int) -> Void)? = nil) throws {
        var workers: [OnlineWorker] = []
        var bases: [String] = []
        store = executor.workspace.store
        do {
            for job in jobs {
                let base = executor.workspace.store.scratchPath("online-\(job.cell.id.value)")
                try CellExecutor.makeScratch(base)
                bases.append(base)
                _ = try executor.prepare(job, base: base, work: base + "/work")
                let python = job.cell.language == .python
                if python {
                    try AtomicFile.write(Data(PythonWorkerDriver.source.utf8), to: URL(fileURLWithPath: base + "/" + PythonWorkerDriver.fileName),
                                         durable: false)
                }
                do {
                    try job.environment?.prepare()
                    let batching = OnlineWorker.Batching(maxBatch: job.cell.maxBatch ?? CodeCell.defaultMaxBatch,
                                                         maxWaitMs: job.cell.maxWaitMs ?? CodeCell.defaultMaxWaitMs)
                    workers.append(try OnlineWorker(command: job.interpreter.command, script: executor.scriptPath(base, job),
                                                    driver: python ? base + "/" + PythonWorkerDriver.fileName : nil, batching: batching,
                                                    directory: base + "/work", environment: executor.environment(for: job, base: base),
                                                    stderrPath: stderrPath, timeout: max(job.cell.timeout ?? 0, Self.loadTime),
                                                    eventLoop: eventLoop, onBatch: onBatch))
                } catch {
                    throw ChainStartError(description: "online cell '\(job.cell.id.value)' could not start: \(error)")
                }
            }
        } catch {
            workers.forEach { $0.stop() }
            bases.forEach { executor.workspace.store.removeItem($0) }
            throw error
        }
        self.workers = workers
        self.bases = bases
        self.cells = jobs.map(\.cell.id.value)
        self.timeouts = jobs.map { $0.cell.timeout ?? defaultTimeout }
        self.largestBatch = jobs.compactMap(\.cell.maxBatch).max() ?? 1
        self.eventLoop = eventLoop
    }

    /// Sends `request` through the chain. Blocks until the endpoint answers.
    public func call(_ request: JSONValue, timeout: Double? = nil) -> Result<JSONValue, Failure> {
        var value = request
        for (i, worker) in workers.enumerated() {
            switch worker.call(value, timeout: timeout ?? timeouts[i]) {
            case .success(let next): value = next
            case .failure(let error): return .failure(failure(error, at: i, timeout: timeout))
            }
        }
        return .success(value)
    }

    /// Sends `request` through the chain without blocking a thread; several
    /// may be in flight. The future completes on `eventLoop`.
    public func respond(_ request: JSONValue, on eventLoop: any EventLoop) -> EventLoopFuture<Result<JSONValue, Failure>> {
        let promise = eventLoop.makePromise(of: Result<JSONValue, Failure>.self)
        respond(request, from: 0, on: eventLoop, promise: promise)
        return promise.futureResult
    }

    /// Cell `i` onwards, each cell's answer the next one's request (one promise for the whole chain).
    private func respond(_ value: JSONValue, from i: Int, on eventLoop: any EventLoop, promise: EventLoopPromise<Result<JSONValue, Failure>>) {
        guard i < workers.count else { return promise.succeed(.success(value)) }
        workers[i].respond(value, timeout: timeouts[i], on: eventLoop) { result in
            switch result {
            case .success(let next): self.respond(next, from: i + 1, on: eventLoop, promise: promise)
            case .failure(let error): promise.succeed(.failure(self.failure(error, at: i, timeout: nil)))
            }
        }
    }

    private func failure(_ error: OnlineWorker.Failure, at i: Int, timeout: Double?) -> Failure {
        let cell = cells[i].rawValue
        return switch error.kind {
        case .cell: .cell(cell, error.error)
        case .timeout: .timeout(cell, timeout ?? timeouts[i])
        case .crashed: .crashed(cell, error.description)
        case .replaced: .replaced(cell, error.description)
        }
    }

    /// Stops the workers and removes their directories.
    public func stop() {
        workers.forEach { $0.stop() }
        bases.forEach { store.removeItem($0) }
    }

    /// The pids of the chain's long-lived worker processes (for tests that kill one).
    public var workerPIDs: [Int32] { workers.compactMap(\.pid) }
}

/// An online cell that could not start (its code raised at load time, or its interpreter is missing).
public struct ChainStartError: Error, CustomStringConvertible {
    public let description: String
}
