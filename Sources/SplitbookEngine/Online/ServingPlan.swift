import Foundation
import SplitbookSpec

/// What `splitbook serve` serves: each endpoint's chain of online cells,
/// ready to start, with every artifact resolved in the registry (aliases
/// resolved now; `reload` makes a new plan).
public struct ServingPlan: Sendable {
    /// One endpoint: `POST /v1/NAME`.
    public struct Endpoint: Sendable {
        public var name: String
        public var chain: [CellJob]
        public var samples: [JSONValue]
        /// The offline rows every generation must reproduce before it serves (CONTRACT §12).
        public var parity: ParityCheck?
    }

    /// An artifact version being served.
    public struct Artifact: Sendable, Equatable, Codable {
        public var name: String
        public var reference: String
        public var version: Int
        public var contentHash: Digest
    }

    public var notebook: String
    public var endpoints: [Endpoint]
    public var artifacts: [Artifact]
    /// Each online cell's step key components digest (code, params, env, inputs, artifacts).
    public var cellHashes: [String: Digest]

    /// Builds the plan of a checked notebook against a registry. `name`
    /// overrides the notebook's name (a bundle's notebook.yaml is named in its contract.json).
    public static func make(file: NotebookFile, workspace: Workspace, registry: ArtifactRegistry, environment: [String: String],
                            name: String? = nil, progress: (@Sendable (EnvironmentProgress) -> Void)? = nil) throws -> ServingPlan {
        guard let notebook = file.check.notebook, let graph = file.check.graph else {
            throw RunUsageError(description: "the notebook has errors")
        }
        let params = try NotebookRunner.resolveParams(notebook, overrides: [:])
        let interpreters = InterpreterResolver(hasher: workspace.hasher, environment: environment, memoURL: workspace.interpretersURL)
        let store = EnvironmentStore(workspace: workspace, environment: environment)
        store.progress = progress
        let environments = try NotebookEnvironments.prepare(file, notebook: notebook, interpreters: interpreters, store: store, mode: .readOnly)
        var builder = KeyBuilder(notebook: notebook, directory: file.directory, graph: graph, params: params, workspace: workspace,
                                 interpreters: interpreters, callerEnvironment: environment, registry: registry,
                                 environments: environments, store: store, packageLists: PackageLists(workspace: workspace))
        builder.registryOnly = true
        var endpoints: [Endpoint] = []
        var artifacts: [String: Artifact] = [:]
        var hashes: [String: Digest] = [:]
        for node in graph.endpoints {
            let jobs = try graph.chain(endingAt: node).map { try builder.job(for: $0, upstream: [:], runID: "serve") }
            for job in jobs {
                hashes[job.cell.id.value.rawValue] = job.key.digest
                for use in job.cell.uses {
                    let version = try registry.resolve(use.value)
                    artifacts[use.value.description] = Artifact(name: use.value.name.rawValue, reference: use.value.description,
                                                                version: version, contentHash: job.key.uses[use.value.description]!)
                }
            }
            let parity = try graph.cells[node].parity.map { try parityRows($0, of: node, graph: graph, file: file, workspace: workspace) }
            endpoints.append(Endpoint(name: graph.cells[node].id.value.rawValue, chain: jobs, samples: graph.cells[node].samples ?? [],
                                      parity: parity))
        }
        return ServingPlan(notebook: name ?? notebook.name, endpoints: endpoints, artifacts: artifacts.values.sorted { $0.reference < $1.reference },
                           cellHashes: hashes)
    }

    /// An endpoint's parity rows: a file of the bundle, or when serving a
    /// notebook, its producer's output from the workspace's last run.
    static func parityRows(_ spec: ParitySpec, of node: Int, graph: CellGraph, file: NotebookFile, workspace: Workspace) throws -> ParityCheck {
        switch spec.source(in: graph) {
        case .file(let path):
            return ParityCheck(spec: spec, rowsPath: file.directory.appendingPathComponent(path.rawValue).path)
        case .output(let producer, let path):
            let producerID = graph.cells[producer].id.value
            let state = NotebookState.load(from: workspace.stateURL(file.check.notebook?.name ?? ""))
            guard let item = state.cells[producerID.rawValue]?.outputs[path.rawValue] else {
                throw RunUsageError(description: "the parity rows of '\(graph.cells[node].id.value)' are an output of '\(producerID)', "
                                    + "which has not run in \(workspace.root.path): run the notebook first (or serve its exported bundle)")
            }
            return ParityCheck(spec: spec, rowsPath: workspace.store.path(of: item.digest))
        }
    }
}
