import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SplitbookEngine
import SplitbookServer
import SplitbookSpec

/// `splitbook serve NB`: the online half over HTTP.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a notebook's online cells over HTTP, loading their artifacts from the registry.",
        discussion: """
        Each endpoint (an online cell no other online cell needs) answers POST /v1/NAME. Artifacts
        are resolved in the registry and verified against their lineage; /readyz says 200 only when
        every worker has loaded. SIGHUP or POST /admin/reload swap in new artifact versions (e.g.
        after `splitbook registry promote`) without failing a request; SIGTERM drains and stops.

        Example:
          splitbook serve notebooks/rag_assistant.yaml --port 8080
          curl -s localhost:8080/v1/answer -d '{"question": "What is a feature store?"}'
        """
    )

    @Argument(help: "The notebook file, or a serving bundle directory (holding notebook.yaml).")
    var notebook: String

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Running copies of each endpoint (default: the number of cores).")
    var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    @Option(help: "Largest request body in bytes.") var maxBody = 1 << 20
    @Option(help: "Seconds a request may take before 504.") var timeout: Double = 30
    @Option(help: "Requests that may wait for a busy endpoint before 503.") var queue = 64
    @Option(help: ArgumentHelp("Where runs write (default: ./outputs); scratch space for the workers.", valueName: "dir"))
    var outputs: String = "outputs"
    @Option(help: ArgumentHelp("The artifact registry (default: $SPLITBOOK_REGISTRY, else <outputs>/registry).", valueName: "dir"))
    var registry: String?

    func validate() throws {
        guard workers >= 1, maxBody >= 1, timeout > 0, queue >= 0, (1...65535).contains(port) else {
            throw ValidationError("--workers, --max-body and --timeout must be positive, --queue at least 0, --port 1-65535")
        }
    }

    /// The notebook a serving bundle was exported from, as its contract.json names it.
    static func bundleNotebookName(_ directory: String) -> String? {
        guard let data = FileManager.default.contents(atPath: directory + "/contract.json"),
              case .object(let contract)? = JSONValue.parseJSON(data), case .string(let name)? = contract["notebook"] else { return nil }
        return name
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let outputsURL = URL(fileURLWithPath: outputs)
        let registryStore = ArtifactRegistry(root: ArtifactRegistry.location(flag: registry, outputs: outputsURL, environment: environment))
        // A serving bundle is a directory with the online half's notebook.yaml beside its source files.
        let isBundle = FileIdentity.of(notebook)?.kind == .directory
        let file = try Terminal.loadValid(isBundle ? notebook + "/notebook.yaml" : notebook, registry: registryStore)
        let workspace = try Workspace(root: outputsURL)
        let bundleName = isBundle ? Self.bundleNotebookName(notebook) : nil
        var options = ServingOptions()
        options.host = host
        options.port = port
        options.workers = workers
        options.maxBody = maxBody
        options.timeout = timeout
        options.queueLimit = queue
        let logger = { () -> Logger in
            var logger = Logger(label: "splitbook.serve")
            logger.logLevel = .info
            return logger
        }()
        let executor = CellExecutor(workspace: workspace, callerEnvironment: environment)
        let serving = ServingApplication(
            options: options, logger: logger,
            makePlan: { try ServingPlan.make(file: file, workspace: workspace, registry: registryStore, environment: environment,
                                              name: bundleName) },
            startChain: { [timeout] in try OnlineChain(jobs: $0, executor: executor, stderrPath: "/dev/stderr", defaultTimeout: timeout) })
        let app = Application(router: serving.router(), configuration: .init(address: .hostname(host, port: port)), logger: logger)

        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            Task {
                let result = await serving.load()
                logger.info("SIGHUP: reload", metadata: ["result": "\(result)"])
            }
        }
        hangup.resume()

        let finished = DispatchSemaphore(value: 0)
        let failure = ManagedError()
        let app_ = UncheckedBox(app)
        Task {
            let app = app_.value
            defer { finished.signal() }
            let loading = Task {
                let result = await serving.load()
                logger.info("loaded", metadata: ["result": "\(result)"])
            }
            do {
                try await app.runService()
            } catch {
                failure.set(error)
            }
            loading.cancel()
            await serving.shutdown()
        }
        finished.wait()
        withExtendedLifetime(hangup) {}
        if let error = failure.value {
            Terminal.error("error: \(error)")
            throw ExitCode(1)
        }
    }
}

/// An error handed from the server task to the command.
final class ManagedError: @unchecked Sendable {
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
