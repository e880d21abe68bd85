import ArgumentParser
import Foundation
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
    @Option(help: "Requests in flight at once on each running copy of an endpoint (raised to a larger max_batch).")
    var maxInflight = 32
    @Flag(help: "Log a line per endpoint request (id, status, milliseconds); errors are logged either way.") var accessLog = false
    @Flag(help: "Return cells' tracebacks in error responses (local work only; they name the server's paths).") var debug = false
    @OptionGroup var locations: Locations

    func validate() throws {
        guard workers >= 1, maxBody >= 1, timeout > 0, maxInflight >= 1, queue >= 0, (1...65535).contains(port) else {
            throw ValidationError("--workers, --max-body, --timeout and --max-inflight must be positive, --queue at least 0, --port 1-65535")
        }
    }

    /// The notebook a serving bundle was exported from, as its contract.json names it.
    static func bundleNotebookName(_ directory: String) -> String? {
        guard let data = FileManager.default.contents(atPath: directory + "/contract.json"),
              case .object(let contract)? = JSONValue.parseJSON(data), case .string(let name)? = contract["notebook"] else { return nil }
        return name
    }

    func run() throws {
        // A serving bundle is a directory with the online half's notebook.yaml beside its source files.
        let isBundle = FileIdentity.of(notebook)?.kind == .directory
        let file = try locations.loadValid(isBundle ? notebook + "/notebook.yaml" : notebook)
        let target = ServeTarget(file: file, name: isBundle ? Self.bundleNotebookName(notebook) : nil,
                                 workspace: try locations.outputs.workspace(), registry: locations.artifactRegistry,
                                 environment: ProcessInfo.processInfo.environment)
        var options = ServingOptions()
        options.host = host
        options.port = port
        options.workers = workers
        options.maxBody = maxBody
        options.timeout = timeout
        options.queueLimit = queue
        options.maxInflight = maxInflight
        options.debug = debug
        options.accessLog = accessLog
        do {
            try runServer(target, options: options)
        } catch {
            Terminal.error("error: \(error)")
            throw ExitCode(1)
        }
    }
}
