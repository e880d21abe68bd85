import Foundation
import SplitbookSpec

/// Told about a run as it happens (progress output).
public protocol RunObserver: AnyObject {
    func runStarted(notebook: Notebook, runID: String)
    func waitingForLock(holder: String)
    func cellStarted(_ id: CellID, reasons: [String])
    func cellFinished(_ result: RunReport.CellResult)
    /// A line a running cell printed; only asked for when `wantsLiveOutput`.
    func cellPrinted(_ id: CellID, stream: String, line: String)
    var wantsLiveOutput: Bool { get }
    /// The run finished but something that only records it (state, history, report) could not be written.
    func recordingFailed(_ message: String)
}

extension RunObserver {
    public func recordingFailed(_ message: String) {}
}

/// Runs a notebook's offline cells as cached steps (CONTRACT §2, §3): in
/// dependency order, independent cells in parallel, each a cache hit when its
/// step key has a result, else executed hermetically.
public final class NotebookRunner {
    public let file: NotebookFile
    public let options: RunOptions
    /// The last run's HTML report with its run id, start and duration as placeholders.
    public private(set) var reportTemplate: String?
    private let callerEnvironment: [String: String]

    public init(file: NotebookFile, options: RunOptions, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.file = file
        self.options = options
        self.callerEnvironment = environment
    }

    /// The params after `-p` overrides; unknown names are a usage error.
    public static func resolveParams(_ notebook: Notebook, overrides: [String: JSONValue]) throws -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        for param in notebook.params { params[param.name.value] = param.value }
        for (name, value) in overrides {
            guard params[name] != nil else {
                let hint = Suggestion.closest(to: name, in: params.keys).map { " (did you mean '\($0)'?)" } ?? ""
                throw RunUsageError(description: "-p \(name): the notebook has no param '\(name)'\(hint)")
            }
            params[name] = value
        }
        return params
    }

    /// Runs the notebook and returns what happened to each cell.
    public func run(observer: RunObserver?) throws -> RunReport {
        try perform(execute: true, observer: observer).report
    }

    /// Runs the notebook; when every cell was a cache hit, also returns the
    /// files that outcome depended on (for `NoopStamp`).
    public func runForStamp(observer: RunObserver?) throws -> (report: RunReport, stampFiles: [String]?) {
        let result = try perform(execute: true, observer: observer)
        return (result.report, result.stampFiles)
    }

    /// What a run would do, executing nothing and changing nothing: each
    /// offline cell cached or stale (with reasons), and the step key computed
    /// for every cell whose upstream is known.
    public func plan() throws -> (report: RunReport, keys: [String: StepKey]) {
        let result = try perform(execute: false, observer: nil)
        return (result.report, result.keys)
    }

    private func perform(execute: Bool, observer: RunObserver?) throws -> (report: RunReport, keys: [String: StepKey], stampFiles: [String]?) {
        guard let notebook = file.check.notebook, let graph = file.check.graph else {
            throw RunUsageError(description: "the notebook has errors")
        }
        let params = try Self.resolveParams(notebook, overrides: options.params)
        var selected = Set(0..<graph.cells.count)
        if let only = options.only {
            guard let node = graph.node(only) else {
                let hint = Suggestion.closest(to: only.rawValue, in: graph.index.keys.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? ""
                throw RunUsageError(description: "--only \(only): no cell has that id\(hint)")
            }
            selected = graph.ancestors(of: node).union([node])
        }
        if case .cell(let id) = options.force, graph.node(id) == nil {
            throw RunUsageError(description: "--force \(id): no cell has that id")
        }

        let workspace = try Workspace(root: options.outputs)
        let lock = execute ? try workspace.lock { observer?.waitingForLock(holder: $0) } : nil
        defer { withExtendedLifetime(lock) {} }
        if execute { workspace.removeAbandonedFiles() }
        var plannedKeys: [String: StepKey] = [:]
        let runID = Self.newRunID(after: RunHistory(workspace: workspace).lastRunID(notebook.name))
        let started = Date()
        observer?.runStarted(notebook: notebook, runID: runID)

        let interpreters = InterpreterResolver(hasher: workspace.hasher, environment: callerEnvironment, memoURL: workspace.interpretersURL)
        let registry = ArtifactRegistry(root: options.registry)
        let builder = KeyBuilder(notebook: notebook, directory: file.directory, graph: graph, params: params, workspace: workspace,
                                 interpreters: interpreters, callerEnvironment: callerEnvironment, registry: registry)
        let executor = CellExecutor(workspace: workspace, callerEnvironment: callerEnvironment)
        defer { executor.slots.removeAll() }
        var state = NotebookState.load(from: workspace.stateURL(notebook.name))
        let workspaceDir = workspace.notebookDirectory(notebook.name).path

        var results: [Int: RunReport.CellResult] = [:]
        var outputs: [Int: [String: StoredItem]] = [:]
        var dispatched = Set<Int>()
        let order = graph.topologicalOrder().order
        let completions = CompletionQueue()
        var running = 0

        func finish(_ node: Int, _ result: RunReport.CellResult) {
            results[node] = result
            observer?.cellFinished(result)
        }

        func base(_ node: Int, _ status: RunReport.Status, reasons: [String] = []) -> RunReport.CellResult {
            let cell = graph.cells[node]
            return RunReport.CellResult(id: cell.id.value.rawValue, stage: cell.stage.rawValue, status: status, reasons: reasons, key: nil,
                                        duration: 0, saved: 0, metrics: [:], warnings: [], stdout: nil, stderr: nil, outputs: [:],
                                        earlyCutoff: false)
        }

        /// Makes the browsable copies in outputs/NAME match the stored outputs.
        func syncWorkspace(_ items: [String: StoredItem]) throws {
            for (path, item) in items {
                let target = workspaceDir + "/" + path
                let current: Digest?
                switch FileIdentity.of(target)?.kind {
                case .file?: current = item.kind == .file ? try? workspace.hasher.digest(ofFile: target) : nil
                case .directory?: current = item.kind == .tree ? try? Tree.scan(target, hasher: workspace.hasher).digest : nil
                default: current = nil
                }
                if current != item.digest {
                    try workspace.store.materialize(item, to: target)
                    workspace.hasher.forget(under: target)
                }
            }
        }

        /// Records a cache hit in the state and describes it.
        func cached(_ node: Int, hit: NotebookState.Cell) -> RunReport.CellResult {
            state.cells[graph.cells[node].id.value.rawValue] = hit
            var result = described(node, .cached, by: hit)
            result.saved = hit.duration
            return result
        }

        /// A cell's result carrying what a stored result says (key, outputs, logs, metrics, samples).
        func described(_ node: Int, _ status: RunReport.Status, by stored: NotebookState.Cell, reasons: [String] = []) -> RunReport.CellResult {
            var result = base(node, status, reasons: reasons)
            result.key = stored.key
            result.outputs = stored.outputs
            result.metrics = stored.metrics
            result.stdout = stored.stdout
            result.stderr = stored.stderr
            result.samples = stored.samples
            return result
        }

        /// A stored result to restore for `node`, if one exists and all its
        /// objects are intact. Damaged objects are moved aside (when
        /// executing) and said in `damaged`, and the cell reruns.
        func storedResult(_ node: Int, key: Digest, previous: NotebookState.Cell?, damaged: inout [String]) -> NotebookState.Cell? {
            guard let candidate = previous?.key == key ? previous : workspace.entry(key).map(NotebookState.Cell.init) else { return nil }
            let damage = workspace.damage(in: candidate)
            if damage.isEmpty { return candidate }
            let id = graph.cells[node].id.value
            for (object, holding) in damage {
                if execute, object.state == .damaged { workspace.store.quarantine(object.digest) }
                damaged.append("object for cell \(id), \(holding), was \(object.state); rerunning \(id)")
            }
            return nil
        }

        /// Publishes a finished cell's artifacts (cached cells too: publishing is
        /// idempotent, and the registry may be new or another one).
        func publish(_ node: Int, key: StepKey, keyDigest: Digest, into result: inout RunReport.CellResult) {
            let cell = graph.cells[node]
            for publication in cell.publish {
                guard let item = outputs[node]?[publication.path.value.rawValue] else { continue }
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

        /// Decides a ready cell: skipped, cached, or dispatched to run.
        func start(_ node: Int) throws {
            dispatched.insert(node)
            let cell = graph.cells[node]
            if !selected.contains(node) { return finish(node, base(node, .excluded)) }
            if cell.stage == .online { return try startOnline(node) }
            if ProcessGroups.shared.isInterrupted { return finish(node, base(node, .skipped, reasons: ["the run was interrupted"])) }
            let blocked = graph.upstream[node].map(\.from).filter { results[$0]?.status != .ran && results[$0]?.status != .cached }
            if let stale = blocked.first(where: { results[$0]?.status == .stale }) {
                return finish(node, base(node, .stale, reasons: ["upstream \(graph.cells[stale].id.value) will rerun"]))
            }
            if let first = blocked.first {
                let why = results[first]?.status == .failed ? "failed" : "did not run"
                return finish(node, base(node, .skipped, reasons: ["upstream \(graph.cells[first].id.value) \(why)"]))
            }
            var job: CellJob
            do {
                job = try builder.job(for: node, upstream: outputs, runID: runID)
            } catch {
                var result = base(node, .failed, reasons: ["\(error)"])
                result.warnings = []
                return finish(node, result)
            }
            let key = job.key.digest
            plannedKeys[cell.id.value.rawValue] = job.key
            let forced = options.force == .all || options.force == .cell(cell.id.value)
            let previous = state.cells[cell.id.value.rawValue]
            var damaged: [String] = []
            if !forced, cell.cache {
                if let hit = storedResult(node, key: key, previous: previous, damaged: &damaged) {
                    if execute { try syncWorkspace(hit.outputs) }
                    outputs[node] = hit.outputs
                    let reran = graph.upstream[node].map(\.from).filter { results[$0]?.status == .ran }
                    var result = cached(node, hit: hit)
                    if let first = reran.first {
                        result.earlyCutoff = true
                        result.reasons = ["kept: upstream \(graph.cells[first].id.value) reran with identical output"]
                    }
                    if execute { publish(node, key: job.key, keyDigest: key, into: &result) }
                    return finish(node, result)
                }
            }
            var reasons: [String]
            if forced {
                reasons = ["forced"]
            } else if !damaged.isEmpty {
                reasons = damaged
            } else if !cell.cache {
                reasons = ["cache: false (always runs)"]
            } else if let previous, let old = workspace.entry(previous.key) {
                reasons = job.key.differences(from: old.components) { path in
                    graph.producers[RelativePath(normalized: path)].map { graph.cells[$0].id.value.rawValue }
                }
                if reasons.isEmpty { reasons = ["cached result missing"] }
            } else {
                reasons = ["never ran"]
            }
            guard execute else {
                var result = base(node, .stale, reasons: reasons)
                result.key = key
                return finish(node, result)
            }
            observer?.cellStarted(cell.id.value, reasons: reasons)
            if let observer, observer.wantsLiveOutput {
                let id = cell.id.value
                nonisolated(unsafe) let sink = observer
                job.liveOutput = { stream, line in sink.cellPrinted(id, stream: stream, line: line) }
            }
            running += 1
            let why = reasons
            let ready = job
            DispatchQueue.global().async {
                completions.push((node, why, executor.run(ready)))
            }
        }

        /// An online cell: an endpoint runs its samples through its chain; the
        /// other cells of a chain run as part of their endpoint.
        func startOnline(_ node: Int) throws {
            let cell = graph.cells[node]
            if let endpoint = graph.endpoint(serving: node) {
                return finish(node, base(node, .online, reasons: ["runs as part of endpoint \(graph.cells[endpoint].id.value)"]))
            }
            let chain = graph.chain(endingAt: node)
            for member in chain {
                for edge in graph.upstream[member] where graph.cells[edge.from].stage != .online {
                    let status = results[edge.from]?.status
                    if status != .ran && status != .cached {
                        return finish(node, base(node, status == .stale ? .stale : .skipped,
                                                 reasons: ["upstream \(graph.cells[edge.from].id.value) \(status == .stale ? "will rerun" : "did not run")"]))
                    }
                }
            }
            guard let samples = cell.samples, !samples.isEmpty else {
                return finish(node, base(node, .online, reasons: ["no sample: add one to exercise it in runs"]))
            }
            let jobs: [CellJob]
            do {
                jobs = try chain.map { try builder.job(for: $0, upstream: outputs, runID: runID) }
            } catch {
                return finish(node, base(node, .failed, reasons: ["\(error)"]))
            }
            let key = Digest.of("splitbook-endpoint 1\n" + jobs.map(\.key.digest.hex).joined(separator: "\n") + "\n"
                                + JSONValue.array(samples).canonicalJSON + "\nrepetitions \(SampleRunner.repetitions)")
            plannedKeys[cell.id.value.rawValue] = jobs.last!.key
            let forced = options.force == .all || options.force == .cell(cell.id.value)
            let previous = state.cells[cell.id.value.rawValue]
            var damaged: [String] = []
            if !forced, let hit = storedResult(node, key: key, previous: previous, damaged: &damaged) {
                return finish(node, cached(node, hit: hit))
            }
            let reasons = forced ? ["forced"] : !damaged.isEmpty ? damaged
                : previous == nil ? ["never ran"] : ["the chain's code, params, inputs, artifacts or samples changed"]
            guard execute else {
                var result = base(node, .stale, reasons: reasons)
                result.key = key
                return finish(node, result)
            }
            observer?.cellStarted(cell.id.value, reasons: reasons)
            running += 1
            let runner = SampleRunner(executor: executor)
            let source = file.source
            let notebookPath = file.source.path
            DispatchQueue.global().async {
                completions.push((node, reasons, runner.run(chain: jobs, samples: samples, key: key, notebookPath: notebookPath, source: source)))
            }
        }

        /// Records a finished execution.
        func complete(_ node: Int, _ reasons: [String], _ outcome: CellOutcome) throws {
            let cell = graph.cells[node]
            switch outcome {
            case .succeeded(let entry):
                do {
                    if cell.cache { try workspace.save(entry) }
                    try syncWorkspace(entry.outputs)
                } catch {
                    // A full disk or a broken store: nothing downstream may use the
                    // result, and no partial copy stays browsable. An entry that was
                    // saved is whole (its objects are), so the next run restores it.
                    for path in entry.outputs.keys { FileTree.remove(workspaceDir + "/" + path) }
                    var result = base(node, .failed, reasons: ["cannot keep the result of cell '\(cell.id.value)': \(error)"])
                    result.duration = entry.duration
                    result.stdout = entry.stdout
                    result.stderr = entry.stderr
                    return finish(node, result)
                }
                outputs[node] = entry.outputs
                if cell.cache { state.cells[cell.id.value.rawValue] = NotebookState.Cell(entry) }
                var result = described(node, .ran, by: NotebookState.Cell(entry), reasons: reasons)
                result.duration = entry.duration
                result.warnings = entry.warnings
                publish(node, key: entry.components, keyDigest: entry.key, into: &result)
                finish(node, result)
            case .failed(let failure):
                var reasons = [failure.message]
                if let full = workspace.fullFileSystemNote() {
                    // Keeping a partial directory on a full disk would only keep it full.
                    failure.keptDirectory.map(FileTree.remove)
                    reasons.append(full)
                } else if let kept = failure.keptDirectory {
                    reasons.append("its working directory is kept at \(kept)")
                }
                var result = base(node, .failed, reasons: reasons)
                result.duration = failure.duration
                result.stdout = failure.stdout
                result.stderr = failure.stderr
                result.warnings = failure.warnings
                finish(node, result)
            }
        }

        while results.count < graph.cells.count {
            var progressed = false
            for node in order where !dispatched.contains(node) {
                guard graph.upstream[node].allSatisfy({ results[$0.from] != nil }) else { continue }
                if selected.contains(node), running >= options.jobs { break }
                try start(node)
                progressed = true
            }
            if running > 0 {
                let (node, reasons, outcome) = completions.pop()
                running -= 1
                try complete(node, reasons, outcome)
            } else if !progressed {
                // Cells on a cycle never become ready; the checker refuses those notebooks, so this is unreachable.
                for node in order where results[node] == nil { finish(node, base(node, .skipped, reasons: ["dependency cycle"])) }
                break
            }
        }

        let report = RunReport(runID: runID, notebook: notebook.name, notebookPath: file.source.path, startedAt: started,
                               duration: Date().timeIntervalSince(started), params: params.mapValues(\.canonicalJSON),
                               cells: order.compactMap { results[$0] })
        try? workspace.hasher.save()
        workspace.store.saveLedger()
        try? interpreters.save()
        var stampFiles: [String]?
        if execute {
            // The cells' results are kept by now; what follows only saves time
            // next run or records this one, so a failure (a full disk) is a warning.
            do { try state.save(to: workspace.stateURL(notebook.name)) } catch {
                observer?.recordingFailed("cannot save the notebook's state (the next run looks results up by key instead): \(error)")
            }
            do { try workspace.saveRun(report) } catch { observer?.recordingFailed("cannot record the run in the history: \(error)") }
            do {
                reportTemplate = try ReportPage.write(file: file, run: report, workspace: workspace)
            } catch {
                observer?.recordingFailed("cannot write the report: \(error)")
            }
            let chosen = (0..<graph.cells.count).filter { selected.contains($0) }
            let unchanged = chosen.allSatisfy { n in
                let status = results[n]?.status
                return (status == .cached || status == .online) && graph.cells[n].cache
            }
            if options.force == .none, unchanged {
                stampFiles = stampDependencies(chosen, graph: graph, outputs: outputs, workspace: workspace, interpreters: interpreters,
                                               registry: registry)
            } else {
                NoopStamp.remove(workspace: workspace, notebook: notebook.name)
            }
        }
        return (report, plannedKeys, stampFiles)
    }

    /// What an all-cached run's outcome depended on (see `NoopStamp`).
    private func stampDependencies(_ nodes: [Int], graph: CellGraph, outputs: [Int: [String: StoredItem]], workspace: Workspace,
                                   interpreters: InterpreterResolver, registry: ArtifactRegistry) -> [String] {
        let root = file.directory.path
        let workspaceDir = workspace.notebookDirectory(file.check.notebook!.name).path
        var files = [URL(fileURLWithPath: file.source.path).path, workspace.stateURL(file.check.notebook!.name).path,
                     (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]]
        files += interpreters.consultedFiles
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
                NoopStamp.walk(workspaceDir + "/" + path, into: &files)
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

/// Finished executions, handed from worker threads to the scheduler.
final class CompletionQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(Int, [String], CellOutcome)] = []

    func push(_ item: (Int, [String], CellOutcome)) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    func pop() -> (Int, [String], CellOutcome) {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        return items.removeFirst()
    }
}

extension Workspace {
    /// Saves a run's record to the history.
    public func saveRun(_ report: RunReport) throws(FileSystemError) {
        try AtomicFile.write(Data(report.jsonText.utf8), to: runsDirectory(report.notebook).appendingPathComponent("\(report.runID).json"),
                             durable: false)
    }
}
