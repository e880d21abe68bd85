import Foundation
import Logging
import NIOPosix
import SplitbookEngine
import SplitbookSpec

/// What `splitbook serve` serves: a checked notebook (or a serving bundle's),
/// the registry its artifacts come from, and the workspace its workers use
/// for scratch space.
public struct ServeTarget: Sendable {
    public var file: NotebookFile
    /// The notebook's name when it is not the file's stem (a bundle's `notebook.yaml`).
    public var name: String?
    public var workspace: Workspace
    public var registry: ArtifactRegistry
    /// The environment the workers inherit (PATH, HOME, secrets).
    public var environment: [String: String]

    public init(file: NotebookFile, name: String? = nil, workspace: Workspace, registry: ArtifactRegistry, environment: [String: String]) {
        self.file = file
        self.name = name
        self.workspace = workspace
        self.registry = registry
        self.environment = environment
    }
}

extension ServingApplication {
    /// The server for `target`: plans from its notebook on every (re)load,
    /// each endpoint's chains started in its workspace, their stderr to `stderrPath`.
    public static func make(_ target: ServeTarget, options: ServingOptions, logger: Logger,
                            stderrPath: String = "/dev/stderr") -> ServingApplication {
        let executor = CellExecutor(workspace: target.workspace, callerEnvironment: target.environment)
        let timeout = options.timeout
        let eventLoops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        return ServingApplication(
            options: options, logger: logger,
            makePlan: {
                try ServingPlan.make(file: target.file, workspace: target.workspace, registry: target.registry,
                                     environment: target.environment, name: target.name)
            },
            startChain: { jobs, lane, onBatch in
                // Lanes take the event loops in turn, so each loop's connections have a lane of their own.
                try OnlineChain(jobs: jobs, executor: executor, stderrPath: stderrPath, defaultTimeout: timeout,
                                eventLoop: eventLoops[lane % eventLoops.count], onBatch: onBatch)
            })
    }
}

/// Serves `target` until SIGTERM or SIGINT, blocking the calling thread:
/// the workers load in the background (/readyz says when), SIGHUP reloads,
/// and a stop finishes the requests in progress before the workers are ended.
public func runServer(_ target: ServeTarget, options: ServingOptions) throws {
    let logger = {
        var logger = Logger(label: "splitbook.serve")
        logger.logLevel = .info
        return logger
    }()
    let serving = ServingApplication.make(target, options: options, logger: logger)
    let server = try blocking { try await HTTPServer.start(serving, host: options.host, port: options.port) }
    logger.info("listening", metadata: ["address": "http://\(options.host):\(server.port)"])

    let loading = Task {
        let result = await serving.load()
        logger.info("loaded", metadata: ["result": "\(result)"])
    }
    let stop = DispatchSemaphore(value: 0)
    let sources = [SIGHUP, SIGTERM, SIGINT].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            guard number == SIGHUP else {
                stop.signal()
                return
            }
            Task {
                let result = await serving.load()
                logger.info("SIGHUP: reload", metadata: ["result": "\(result)"])
            }
        }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    stop.wait()
    logger.info("stopping: finishing the requests in progress")
    loading.cancel()
    try blocking {
        await server.stop()
        await serving.shutdown()
    }
}

/// Runs `work` as a task and waits for it (the command's thread is not part of the concurrency pool).
private func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let finished = DispatchSemaphore(value: 0)
    let outcome = ResultBox<T>()
    Task {
        defer { finished.signal() }
        do { outcome.set(.success(try await work())) } catch { outcome.set(.failure(error)) }
    }
    finished.wait()
    return try outcome.value!.get()
}

/// A result handed from a task to the blocked caller.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ result: Result<T, any Error>) { lock.withLock { self.result = result } }
    var value: Result<T, any Error>? { lock.withLock { result } }
}
