import Foundation
import SplitbookSpec

/// A running chain of online cells, head first and the endpoint last: each
/// cell's response is the next cell's request (CONTRACT §5). One chain serves
/// one request at a time; a server runs several.
public final class OnlineChain: @unchecked Sendable {
    /// Why a request through the chain failed.
    public enum Failure: Error, CustomStringConvertible {
        /// The cell raised or answered something that is not JSON; the chain is still healthy.
        case cell(String, CellError)
        /// No answer in time; the chain was stopped and must be restarted.
        case timeout(String, Double)
        /// A worker process died; the chain must be restarted.
        case crashed(String, String)

        public var description: String {
            switch self {
            case .cell(let id, let message): "in '\(id)': \(message)"
            case .timeout(let id, let seconds): "'\(id)' did not answer within \(CellExecutor.seconds(seconds)) s"
            case .crashed(let id, let message): "'\(id)' stopped: \(message)"
            }
        }
    }

    public let cells: [CellID]
    private let workers: [OnlineWorker]
    private let timeouts: [Double]
    private let bases: [String]
    private let store: ContentStore

    /// Prepares each cell's directory (inputs and artifacts) and starts its worker.
    /// `stderrPath` collects what the cells print.
    public init(jobs: [CellJob], executor: CellExecutor, stderrPath: String, defaultTimeout: Double = 30) throws {
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
                    workers.append(try OnlineWorker(command: job.interpreter.command, script: executor.scriptPath(base, job),
                                                    driver: python ? base + "/" + PythonWorkerDriver.fileName : nil,
                                                    directory: base + "/work", environment: executor.environment(for: job, base: base),
                                                    stderrPath: stderrPath, timeout: job.cell.timeout ?? 60))
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
    }

    /// Sends `request` through the chain. Blocks until the endpoint answers.
    public func call(_ request: JSONValue, timeout: Double? = nil) -> Result<JSONValue, Failure> {
        var value = request
        for (i, worker) in workers.enumerated() {
            let limit = timeout ?? timeouts[i]
            switch worker.call(value, timeout: limit) {
            case .success(let next): value = next
            case .failure(let error):
                switch error.kind {
                case .cell: return .failure(.cell(cells[i].rawValue, error.error))
                case .timeout: return .failure(.timeout(cells[i].rawValue, limit))
                case .crashed: return .failure(.crashed(cells[i].rawValue, error.description))
                }
            }
        }
        return .success(value)
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
