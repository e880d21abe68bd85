import Foundation
import Hummingbird
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
        return ServingApplication(
            options: options, logger: logger,
            makePlan: {
                try ServingPlan.make(file: target.file, workspace: target.workspace, registry: target.registry,
                                     environment: target.environment, name: target.name)
            },
            startChain: { jobs, onBatch in
                try OnlineChain(jobs: jobs, executor: executor, stderrPath: stderrPath, defaultTimeout: timeout,
                                eventLoop: MultiThreadedEventLoopGroup.singleton.next(), onBatch: onBatch)
            })
    }
}

/// The HTTP application around a server, bound where `options` say: what
/// `splitbook serve` runs and what the tests drive.
public func buildApplication(_ serving: ServingApplication, options: ServingOptions, logger: Logger) -> some ApplicationProtocol {
    Application(router: serving.router(), configuration: .init(address: .hostname(options.host, port: options.port)), logger: logger)
}

/// Serves `target` until SIGTERM or SIGINT, blocking the calling thread:
/// the workers load in the background (/readyz says when), SIGHUP reloads,
/// and a stop drains in-flight requests before the workers are ended.
public func runServer(_ target: ServeTarget, options: ServingOptions) throws {
    var logger = Logger(label: "splitbook.serve")
    logger.logLevel = .info
    let serving = ServingApplication.make(target, options: options, logger: logger)
    let app = UncheckedBox(buildApplication(serving, options: options, logger: logger))

    signal(SIGHUP, SIG_IGN)
    let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
    hangup.setEventHandler {
        Task { [logger] in
            let result = await serving.load()
            logger.info("SIGHUP: reload", metadata: ["result": "\(result)"])
        }
    }
    hangup.resume()
    defer { hangup.cancel() }

    let finished = DispatchSemaphore(value: 0)
    let failure = ErrorBox()
    Task { [logger] in
        defer { finished.signal() }
        let loading = Task {
            let result = await serving.load()
            logger.info("loaded", metadata: ["result": "\(result)"])
        }
        do {
            try await app.value.runService()
        } catch {
            failure.set(error)
        }
        loading.cancel()
        await serving.shutdown()
    }
    finished.wait()
    if let error = failure.value { throw error }
}

/// An error handed from the server task to the blocked caller.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?
    func set(_ error: any Error) { lock.withLock { self.error = error } }
    var value: (any Error)? { lock.withLock { error } }
}

/// Hands a value that is only ever used by one task at a time to that task.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
