import Foundation
import SplitbookSpec

/// Computes a cell's step key from the notebook and its upstream results,
/// and gathers what running it would need (a `CellJob`).
struct KeyBuilder {
    let notebook: Notebook
    let directory: URL
    let graph: CellGraph
    let params: [String: JSONValue]
    let workspace: Workspace
    let interpreters: InterpreterResolver
    let callerEnvironment: [String: String]
    let registry: ArtifactRegistry
    /// The locked environments of the notebook's Python cells, where they are built, and the package lists behind keys.
    let environments: NotebookEnvironments
    let store: EnvironmentStore
    let packageLists: PackageLists
    /// Resolve every `uses` in the registry (serving: there is no run to take publications from).
    var registryOnly = false

    /// Builds the job for `node`, given the outputs of the cells it depends on.
    func job(for node: Int, upstream: [Int: [String: StoredItem]], runID: String) throws -> CellJob {
        let cell = graph.cells[node]
        let root = directory.path

        let script: Data
        switch cell.source {
        case .inline(let code): script = Data(code.utf8)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: root + "/" + path.value.rawValue) else {
                throw CellSetupError("cannot read the code file '\(path.value)' of cell '\(cell.id.value)'")
            }
            script = data
        }

        var inputs: [(path: RelativePath, source: CellJob.Input)] = []
        var inputDigests: [String: Digest] = [:]
        for input in cell.inputs {
            if let producer = graph.producers[input.value], let item = upstream[producer]?[input.value.rawValue] {
                inputs.append((input.value, .stored(item)))
                inputDigests[input.value.rawValue] = item.digest
            } else {
                let path = root + "/" + input.value.rawValue
                let digest: Digest
                switch FileIdentity.of(path)?.kind {
                case .file?: digest = try workspace.hasher.digest(ofFile: path)
                case .directory?: digest = try Tree.scan(path, hasher: workspace.hasher).digest
                default: throw CellSetupError("cell '\(cell.id.value)' reads '\(input.value)', which no longer exists")
                }
                inputs.append((input.value, .source(path: path, digest: digest)))
                inputDigests[input.value.rawValue] = digest
            }
        }
        var needs: [String: Digest] = [:]
        for need in cell.needs {
            if let n = graph.index[need.value] { needs[need.value.rawValue] = CacheEntry.outputsDigest(upstream[n] ?? [:]) }
        }
        var uses: [String: Digest] = [:]
        for use in cell.uses {
            let reference = use.value
            let inNotebook = reference.selector == .alias("latest") && !registryOnly ? graph.publishers[reference.name] : nil
            if let publisher = inNotebook {
                // This run's own publication (its publisher ran or was restored before this cell).
                guard let path = graph.cells[publisher].publish.first(where: { $0.artifact.value == reference.name })?.path.value,
                      let item = upstream[publisher]?[path.rawValue] else {
                    throw CellSetupError("cell '\(cell.id.value)' uses '\(reference)', which is not available yet")
                }
                uses[reference.description] = item.digest
                inputs.append((RelativePath(normalized: "artifacts/\(reference.name)"), .stored(item)))
            } else {
                let (path, digest) = try resolveFromRegistry(reference, cell: cell.id.value)
                uses[reference.description] = digest
                inputs.append((RelativePath(normalized: "artifacts/\(reference.name)"), .source(path: path, digest: digest)))
            }
        }

        let visible = cell.params.map { names in Set(names.map(\.value)) }
        var cellParams: [String: JSONValue] = [:]
        for (name, value) in params where visible?.contains(name) ?? true { cellParams[name] = value }

        var env: [String: String] = [:]
        for variable in notebook.env { env[variable.name.value] = variable.value }
        for variable in cell.env { env[variable.name.value] = variable.value }
        var secrets: [String: String] = [:]
        for secret in cell.secrets { secrets[secret.value] = callerEnvironment[secret.value] ?? "" }

        var interpreter = try interpreters.resolve(language: cell.language, interpreter: cell.interpreter)
        var packages: Digest?
        var environment: EnvironmentRequest?
        if let assignment = environments.assignment(for: cell.id.value) {
            if let locked = assignment.locked {
                packages = locked.digest
                packageLists.record(locked.packages.map(\.pin), as: locked.digest)
                interpreter = InterpreterResolver.Resolved(command: [store.python(for: locked, base: assignment.base)] + cell.command.dropFirst(),
                                                           identity: ["environment"] + assignment.base.identity, python: assignment.base)
                environment = EnvironmentRequest(locked: locked, base: assignment.base, store: store)
            } else {
                // Not locked yet (`status` before the run that locks it): a key no result can have.
                packages = Digest.of("splitbook-unlocked\n" + assignment.requirements.texts.joined(separator: "\n"))
            }
        } else if let pins = interpreter.packages {
            packages = PackageLists.fingerprint(pins)
            packageLists.record(pins, as: packages!)
        }
        let key = StepKey(lang: cell.language.description, interpreter: interpreter.identity, code: Digest.of(script),
                          outputs: cell.outputs.map(\.value.rawValue), params: cellParams.mapValues(\.canonicalJSON),
                          env: env, inputs: inputDigests, needs: needs, uses: uses, packages: packages)
        return CellJob(notebook: notebook.name, cell: cell, key: key, interpreter: interpreter, script: script, params: cellParams,
                       env: env, secrets: secrets, inputs: inputs, runID: runID, notebookBudgetMs: notebook.latencyBudgetMs,
                       environment: environment)
    }
}

extension KeyBuilder {
    /// An endpoint's parity rows (CONTRACT §12): where to read them and their digest.
    func parityRows(_ spec: ParitySpec, of cell: CodeCell, upstream: [Int: [String: StoredItem]]) throws -> (check: ParityCheck, digest: Digest, spec: ParitySpec) {
        switch spec.source(in: graph) {
        case .output(let producer, let path):
            guard let item = upstream[producer]?[path.rawValue], item.kind == .file else {
                throw CellSetupError("the parity rows '\(spec.rows.value)' of cell '\(cell.id.value)' are not available: "
                                     + "'\(graph.cells[producer].id.value)' did not produce them as a file")
            }
            return (ParityCheck(spec: spec, rowsPath: workspace.store.path(of: item.digest), rowsDigest: item.digest), item.digest, spec)
        case .file(let path):
            let file = directory.path + "/" + path.rawValue
            guard FileIdentity.of(file)?.kind == .file else {
                throw CellSetupError("the parity rows '\(path)' of cell '\(cell.id.value)' do not exist")
            }
            let digest = try workspace.hasher.digest(ofFile: file)
            return (ParityCheck(spec: spec, rowsPath: file, rowsDigest: digest), digest, spec)
        }
    }

    /// The content path and verified digest of a registry artifact version.
    func resolveFromRegistry(_ reference: ArtifactReference, cell: CellID) throws -> (String, Digest) {
        let version: Int
        do {
            version = try registry.resolve(reference)
        } catch {
            throw CellSetupError("cell '\(cell)' uses '\(reference)': \(error)")
        }
        let path = registry.contentPath(reference.name, version).path
        guard let lineage = registry.lineage(reference.name, version) else {
            throw CellSetupError("registry artifact \(reference.name) version \(version) has no readable lineage.json")
        }
        let digest: Digest
        switch FileIdentity.of(path)?.kind {
        case .file?: digest = try workspace.hasher.digest(ofFile: path)
        case .directory?: digest = try Tree.scan(path, hasher: workspace.hasher).digest
        default: throw CellSetupError("registry artifact \(reference.name) version \(version) has no content")
        }
        guard digest == lineage.contentHash else {
            throw CellSetupError("registry artifact \(reference.name) version \(version) was modified after it was published "
                                 + "(content \(digest.short), lineage says \(lineage.contentHash.short)); versions are immutable")
        }
        return (path, digest)
    }
}

/// A cell that cannot even be set up (unreadable code file, vanished input).
struct CellSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
