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
    /// A Python environment is being locked or built (CONTRACT §10: that can take minutes).
    func environmentProgress(_ event: EnvironmentProgress)
}

extension RunObserver {
    public func recordingFailed(_ message: String) {}
    public func environmentProgress(_ event: EnvironmentProgress) {}
}

/// Runs a notebook's offline cells as cached steps (CONTRACT §2, §3): in
/// dependency order, independent cells in parallel, each a cache hit when its
/// step key has a result, else executed hermetically.
public final class NotebookRunner {
    public let file: NotebookFile
    public let options: RunOptions
    /// Makes the runner that executes cells (tests pass a recording one).
    var makeRunner: (CellExecutor, SourceText) -> CellRunner = { ProcessCellRunner(executor: $0, source: $1) }
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

    /// Runs the notebook and returns what happened to each cell. `finish`
    /// gets the run and, when every cell was a cache hit, the files that
    /// outcome depended on (for `NoopStamp`), while the outputs directory is
    /// still locked: what consumes the run (the report page, the stamp) is
    /// written before another run can start.
    @discardableResult
    public func run(observer: RunObserver?, finish: (RunReport, _ stampFiles: [String]?) -> Void = { _, _ in }) throws -> RunReport {
        try perform(executing: true, observer: observer, finish: finish).report
    }

    /// What a run would do, executing nothing and changing nothing: each
    /// offline cell cached or stale (with reasons), and the step key computed
    /// for every cell whose upstream is known.
    public func plan() throws -> (report: RunReport, keys: [String: StepKey]) {
        let result = try perform(executing: false, observer: nil) { _, _ in }
        return (result.report, result.keys)
    }

    /// One run: a session (outputs, lock, state), a builder deciding and
    /// running each cell, then the session's records and, for an all-cached
    /// run, what the no-op stamp must watch. The report page is the caller's
    /// (it consumes the finished run).
    private func perform(executing: Bool, observer: RunObserver?,
                         finish: (RunReport, [String]?) -> Void) throws -> (report: RunReport, keys: [String: StepKey]) {
        let (notebook, graph, params, selected) = try validatedRequest()
        let progress: (@Sendable (EnvironmentProgress) -> Void)? = observer.map { observer in
            let box = UncheckedObserver(observer)
            return { box.observer.environmentProgress($0) }
        }
        let session = try RunSession(file: file, notebook: notebook, graph: graph, params: params, options: options,
                                     environment: callerEnvironment, executing: executing,
                                     onWait: { observer?.waitingForLock(holder: $0) }, progress: progress)
        observer?.runStarted(notebook: notebook, runID: session.runID)
        let executor = CellExecutor(workspace: session.workspace, callerEnvironment: callerEnvironment)
        defer { executor.slots.removeAll() }
        let runner = executing ? makeRunner(executor, file.source) : nil
        let builder = Builder(session: session, runner: runner, options: options, selected: selected, observer: observer)
        let cells = builder.build()
        let report = session.finish(cells) { observer?.recordingFailed($0) }
        guard executing else { return (report, builder.keys) }
        let chosen = (0..<graph.cells.count).filter { selected.contains($0) }
        let unchanged = chosen.allSatisfy { n in
            let status = builder.results[n]?.status
            return (status == .cached || status == .online) && graph.cells[n].cache
        }
        guard options.force == .none, unchanged else {
            NoopStamp.remove(workspace: session.workspace, notebook: notebook.name)
            finish(report, nil)
            return (report, builder.keys)
        }
        finish(report, session.stampDependencies(chosen, outputs: builder.outputs))
        return (report, builder.keys)
    }

    /// The checked notebook, its params after `-p`, and the cells `--only` selects; a usage error otherwise.
    private func validatedRequest() throws -> (Notebook, CellGraph, [String: JSONValue], Set<Int>) {
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
        return (notebook, graph, params, selected)
    }
}

/// Lets environment builds (on the cells' threads) report to the run's observer,
/// which serialises its own output.
private struct UncheckedObserver: @unchecked Sendable {
    let observer: RunObserver
    init(_ observer: RunObserver) { self.observer = observer }
}
