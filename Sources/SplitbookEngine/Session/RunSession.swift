import Foundation
import SplitbookSpec
import Synchronization

/// Everything a run keeps besides executing cells: the outputs directory
/// and its lock, the run id, the notebook's state, the browsable workspace
/// copies, the registry publications, and at the end the memos, the state
/// and the run's history record. A `status` session (`executing: false`)
/// takes no lock and changes nothing.
final class RunSession {
    let file: NotebookFile
    let notebook: Notebook
    let graph: CellGraph
    let params: [String: JSONValue]
    let executing: Bool
    let workspace: Workspace
    let registry: ArtifactRegistry
    let interpreters: InterpreterResolver
    /// The Python cells' locked environments (the lock brought up to date first when executing).
    let environments: NotebookEnvironments
    let keys: KeyBuilder
    let runID: String
    /// The sweep this run is a point of, if any.
    let sweep: String?
    let started = Date()
    /// The state as the run found it (what decisions compare against).
    let initialState: NotebookState
    /// The state as the run leaves it.
    private(set) var state: NotebookState
    private let lock: WorkspaceLock?
    private let workspaceDirectory: String

    init(file: NotebookFile, notebook: Notebook, graph: CellGraph, params: [String: JSONValue], options: RunOptions,
         environment: [String: String], executing: Bool, onWait: (String) -> Void,
         progress: (@Sendable (EnvironmentProgress) -> Void)? = nil) throws {
        self.file = file
        self.notebook = notebook
        self.graph = graph
        self.params = params
        self.executing = executing
        sweep = options.sweep
        workspace = try Workspace(root: options.outputs)
        lock = executing && options.shared == nil ? try workspace.lock(onWait: onWait) : nil
        if executing { workspace.removeAbandonedFiles() }
        runID = Self.newRunID(after: RunHistory(workspace: workspace).lastRunID(notebook.name))
        registry = ArtifactRegistry(root: options.registry)
        interpreters = InterpreterResolver(hasher: workspace.hasher, environment: environment, memoURL: workspace.interpretersURL)
        let store = EnvironmentStore(workspace: workspace, environment: environment)
        store.progress = progress
        environments = try NotebookEnvironments.prepare(file, notebook: notebook, interpreters: interpreters, store: store,
                                                        mode: executing ? (options.locked ? .locked : .refresh) : .readOnly)
        for change in environments.changes { progress?(.finished("\(environments.lockPath): \(change)")) }
        keys = KeyBuilder(notebook: notebook, directory: file.directory, graph: graph, params: params, workspace: workspace,
                          interpreters: interpreters, callerEnvironment: environment, registry: registry,
                          environments: environments, store: store, packageLists: PackageLists(workspace: workspace))
        initialState = NotebookState.load(from: workspace.stateURL(notebook.name))
        state = initialState
        workspaceDirectory = workspace.notebookDirectory(notebook.name).path
    }

    deinit { withExtendedLifetime(lock) {} }

    /// Reads what decisions need; repairs damaged objects only when executing.
    var scan: DependencyScan {
        DependencyScan(graph: graph, keys: keys, workspace: workspace, state: initialState, repair: executing)
    }

    /// A stored result is this cell's now: its outputs browsable again, and in the state.
    func restore(_ result: NotebookState.Cell, of node: Int) throws {
        if executing { try syncWorkspace(result.outputs) }
        state.cells[graph.cells[node].id.value.rawValue] = result
    }

    /// Keeps a fresh result: its cache entry (unless `cache: false`), its
    /// browsable outputs and its place in the state. On failure (a full
    /// disk) no partial copy stays browsable; an entry already saved is whole.
    func keep(_ entry: CacheEntry, of node: Int) throws {
        let cell = graph.cells[node]
        do {
            if cell.cache { try workspace.save(entry) }
            try syncWorkspace(entry.outputs)
        } catch {
            for path in entry.outputs.keys { FileTree.remove(workspaceDirectory + "/" + path) }
            throw error
        }
        if cell.cache { state.cells[cell.id.value.rawValue] = NotebookState.Cell(entry) }
    }

    /// Makes the browsable copies in outputs/NAME match the stored outputs.
    /// Runs sharing the workspace in one process (a sweep's points) restore
    /// the same paths: one at a time, or two writers would interleave in a file.
    private func syncWorkspace(_ items: [String: StoredItem]) throws {
        try Self.workspaceCopies.withLock { try copyToWorkspace(items) }
    }

    private static let workspaceCopies = NSLock()

    private func copyToWorkspace(_ items: [String: StoredItem]) throws {
        for (path, item) in items {
            let target = workspaceDirectory + "/" + path
            let current: Digest?
            switch FileIdentity.of(target)?.kind {
            case .file?: current = item.kind == .file ? try? workspace.hasher.digest(ofFile: target) : nil
            case .directory?: current = item.kind == .tree ? try? Tree.scan(target, hasher: workspace.hasher).digest : nil
            default: current = nil
            }
            if current != item.digest {
                try workspace.store.materialize(item, to: target, stage: .workspace)
                workspace.hasher.forget(under: target)
                rememberCopy(item, at: target)
            }
        }
    }

    /// This run knows what it just wrote to the workspace, so the next need
    /// not read it again to know (see `FileHasher.remember`; an edit within
    /// the same clock tick as the write, keeping the size, would go unseen
    /// there, and costs only a stale browsable copy: cells and the store
    /// never read the workspace).
    private func rememberCopy(_ item: StoredItem, at target: String) {
        switch item.kind {
        case .file:
            workspace.hasher.remember(target, digest: item.digest)
        case .tree:
            for case .file(let rel, let digest, _) in workspace.store.tree(item.digest)?.entries ?? [] {
                workspace.hasher.remember(target + "/" + rel, digest: digest)
            }
        }
    }

    /// Publishes a finished cell's artifacts (cached cells too: publishing
    /// is idempotent, and the registry may be new or another one).
    func publish(_ node: Int, outputs: [String: StoredItem], key: StepKey, keyDigest: Digest, into result: inout RunReport.CellResult) {
        let cell = graph.cells[node]
        for publication in cell.publish {
            guard let item = outputs[publication.path.value.rawValue] else { continue }
            let lineage = ArtifactRegistry.Lineage(
                artifact: publication.artifact.value.rawValue, version: 0, kind: item.kind.rawValue, contentHash: item.digest,
                size: item.size, notebook: notebook.name, notebookPath: file.source.path, cell: cell.id.value.rawValue,
                stepKey: keyDigest, runID: runID, params: key.params, inputs: key.inputs, publishedAt: Date())
            do {
                let published = try registry.publish(publication.artifact.value, item: item, store: workspace.store, lineage: lineage)
                result.published[published.artifact.rawValue] = published.version
                if published.created { result.newVersions.append(published.artifact.rawValue) }
            } catch {
                result.status = .failed
                result.reasons.append("cannot publish '\(publication.artifact.value)' to the registry: \(error)")
            }
        }
    }

    /// The run's record; when executing, the memos, the state and the
    /// history are saved (failures there are warnings: the cells' results
    /// are kept already, and these only save time or record the run).
    func finish(_ cells: [RunReport.CellResult], warn: (String) -> Void) -> RunReport {
        var report = RunReport(runID: runID, notebook: notebook.name, notebookPath: file.source.path, startedAt: started,
                               duration: Date().timeIntervalSince(started), params: params.mapValues(\.canonicalJSON), cells: cells)
        report.sweep = sweep
        report.io = Dictionary(uniqueKeysWithValues: workspace.store.io.snapshot().filter { !$0.value.isZero }.map { ($0.key.rawValue, $0.value) })
        try? workspace.hasher.save()
        workspace.store.saveLedger()
        try? interpreters.save()
        guard executing else { return report }
        do { try state.save(to: workspace.stateURL(notebook.name)) } catch {
            warn("cannot save the notebook's state (the next run looks results up by key instead): \(error)")
        }
        do { try workspace.saveRun(report) } catch { warn("cannot record the run in the history: \(error)") }
        return report
    }

    /// What an all-cached run's outcome depended on (see `NoopStamp`).
    func stampDependencies(_ nodes: [Int], outputs: [Int: [String: StoredItem]]) -> [String] {
        let root = file.directory.path
        var files = [URL(fileURLWithPath: file.source.path).path, workspace.stateURL(notebook.name).path,
                     (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]]
        files += interpreters.consultedFiles + environments.files
        for node in nodes {
            let cell = graph.cells[node]
            if case .file(let path) = cell.source { files.append(root + "/" + path.value.rawValue) }
            // What the registry says about the artifacts this cell publishes or loads.
            for name in cell.publish.map(\.artifact.value) + cell.uses.map(\.value.name) {
                let dir = registry.root.appendingPathComponent(name.rawValue).path
                NoopStamp.walk(dir + "/aliases", into: &files)
                for version in registry.versions(name) { files.append(dir + "/versions/\(version)/lineage.json") }
            }
            for use in cell.uses where !(use.value.selector == .alias("latest") && graph.publishers[use.value.name] != nil) {
                if let version = try? registry.resolve(use.value) {
                    NoopStamp.walk(registry.contentPath(use.value.name, version).path, into: &files)
                }
            }
            for input in cell.inputs where graph.producers[input.value] == nil { NoopStamp.walk(root + "/" + input.value.rawValue, into: &files) }
            for (path, item) in outputs[node] ?? [:] {
                NoopStamp.walk(workspaceDirectory + "/" + path, into: &files)
                files.append(workspace.store.path(of: item.digest))
                if item.kind == .tree, let tree = workspace.store.tree(item.digest) {
                    for case .file(_, let digest, _) in tree.entries { files.append(workspace.store.path(of: digest)) }
                }
            }
        }
        return files
    }

    /// `20261125-003012-345`: UTC time to the millisecond, so ids sort by
    /// time; made later than `previous` when the clock has not moved on (runs
    /// of one workspace are serialised by its lock, so ids never collide).
    static func newRunID(after previous: String?) -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var millis = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
        if let previous, let last = parseRunID(previous), last >= millis { millis = last + 1 }
        // Runs of one process that share the workspace (a sweep's points) get distinct ids too.
        millis = issued.withLock { last in
            millis = max(millis, last + 1)
            last = millis
            return millis
        }
        var seconds = time_t(millis / 1000)
        var t = tm()
        gmtime_r(&seconds, &t)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(t.tm_year + 1900, 4) + pad(t.tm_mon + 1, 2) + pad(t.tm_mday, 2) + "-" + pad(t.tm_hour, 2) + pad(t.tm_min, 2)
            + pad(t.tm_sec, 2) + "-" + pad(Int32(millis % 1000), 3)
    }

    /// The last run id this process issued, in milliseconds.
    private static let issued = Mutex<Int64>(0)

    private static func parseRunID(_ id: String) -> Int64? {
        let digits = Array(id.utf8.filter { $0 != UInt8(ascii: "-") })
        guard digits.count == 17, id.utf8.count == 19, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func number(_ range: Range<Int>) -> Int32 { range.reduce(0) { $0 * 10 + Int32(digits[$1] - 0x30) } }
        var t = tm()
        t.tm_year = number(0..<4) - 1900
        t.tm_mon = number(4..<6) - 1
        t.tm_mday = number(6..<8)
        t.tm_hour = number(8..<10)
        t.tm_min = number(10..<12)
        t.tm_sec = number(12..<14)
        return Int64(timegm(&t)) * 1000 + Int64(number(14..<17))
    }
}

extension Workspace {
    /// Saves a run's record to the history.
    public func saveRun(_ report: RunReport) throws(FileSystemError) {
        try AtomicFile.write(Data(report.jsonText.utf8), to: runsDirectory(report.notebook).appendingPathComponent("\(report.runID).json"),
                             durable: false)
    }
}
