import Foundation
import SplitbookSpec

/// Walks the graph in dependency order (ninja's `Builder`): each ready cell
/// is decided by `StepPlanner` from what `DependencyScan` found, restored
/// through the session, or handed to the `CellRunner` on a worker thread,
/// up to `jobs` at once; independent cells keep going when one fails.
/// Without a runner it only plans: cells that would run are `stale`, and
/// what depends on them "will rerun" (`status`, `explain`).
final class Builder {
    private let session: RunSession
    private let graph: CellGraph
    private let scan: DependencyScan
    private let runner: CellRunner?
    private let options: RunOptions
    private let selected: Set<Int>
    private weak var observer: RunObserver?

    private(set) var results: [Int: RunReport.CellResult] = [:]
    /// The stored outputs of every cell that ran or was restored.
    private(set) var outputs: [Int: [String: StoredItem]] = [:]
    /// Each planned cell's step key (for an endpoint, its endpoint cell's).
    private(set) var keys: [String: StepKey] = [:]
    private var dispatched = Set<Int>()
    private var running = 0
    private let completions = CompletionQueue()

    init(session: RunSession, runner: CellRunner?, options: RunOptions, selected: Set<Int>, observer: RunObserver?) {
        self.session = session
        self.graph = session.graph
        self.scan = session.scan
        self.runner = runner
        self.options = options
        self.selected = selected
        self.observer = observer
    }

    /// Decides every cell, running what must run; returns the results in topological order.
    func build() -> [RunReport.CellResult] {
        let order = graph.topologicalOrder().order
        while results.count < graph.cells.count {
            var progressed = false
            for node in order where !dispatched.contains(node) {
                guard graph.upstream[node].allSatisfy({ results[$0.from] != nil }) else { continue }
                if selected.contains(node), running >= options.jobs { break }
                start(node)
                progressed = true
            }
            if running > 0 {
                let (node, reasons, outcome) = completions.pop()
                running -= 1
                complete(node, reasons: reasons, outcome)
            } else if !progressed {
                // Cells on a cycle never become ready; the checker refuses those notebooks, so this is unreachable.
                for node in order where results[node] == nil { finish(node, result(node, .skipped, ["dependency cycle"])) }
                break
            }
        }
        return order.compactMap { results[$0] }
    }

    // MARK: - Deciding

    private func start(_ node: Int) {
        dispatched.insert(node)
        let cell = graph.cells[node]
        if !selected.contains(node) { return finish(node, result(node, .excluded)) }
        if cell.stage == .online { return startOnline(node) }
        if ProcessGroups.shared.isInterrupted { return finish(node, result(node, .skipped, ["the run was interrupted"])) }
        if let (status, reason) = StepPlanner.blocked(by: upstreamStatuses(node)) { return finish(node, result(node, status, [reason])) }
        let job: CellJob, facts: StepFacts
        do {
            let reran = graph.upstream[node].map(\.from).filter { results[$0]?.status == .ran }.map { graph.cells[$0].id.value.rawValue }
            (job, facts) = try scan.cell(node, upstream: outputs, runID: session.runID, forced: isForced(cell), reranUpstream: reran)
        } catch {
            return finish(node, result(node, .failed, ["\(error)"]))
        }
        keys[cell.id.value.rawValue] = job.key
        switch StepPlanner.decide(facts) {
        case .restore(let stored, let cutoff):
            var restored = restore(node, stored)
            if let cutoff, restored.status == .cached {
                restored.earlyCutoff = true
                restored.reasons = ["kept: upstream \(cutoff) reran with identical output"]
            }
            if restored.status == .cached, runner != nil {
                session.publish(node, outputs: stored.outputs, key: job.key, keyDigest: facts.key, into: &restored)
            }
            finish(node, restored)
        case .run(let reasons):
            guard let runner else { return finish(node, result(node, .stale, reasons, key: facts.key)) }
            var live = job
            if let observer, observer.wantsLiveOutput {
                let id = cell.id.value
                nonisolated(unsafe) let sink = observer
                live.liveOutput = { stream, line in sink.cellPrinted(id, stream: stream, line: line) }
            }
            let ready = live
            dispatch(node, reasons, key: facts.key) { runner.run(ready) }
        }
    }

    /// An online cell: an endpoint runs its samples through its chain; the
    /// other cells of a chain run as part of their endpoint.
    private func startOnline(_ node: Int) {
        if let endpoint = graph.endpoint(serving: node) {
            return finish(node, result(node, .online, ["runs as part of endpoint \(graph.cells[endpoint].id.value)"]))
        }
        let offline = graph.chain(endingAt: node).flatMap { graph.upstream[$0] }.filter { graph.cells[$0.from].stage == .offline }
        let upstream = offline.map { (id: graph.cells[$0.from].id.value.rawValue, status: results[$0.from]?.status ?? .skipped) }
        if let (status, reason) = StepPlanner.blocked(by: upstream) { return finish(node, result(node, status, [reason])) }
        guard let samples = graph.cells[node].samples, !samples.isEmpty else {
            return finish(node, result(node, .online, ["no sample: add one to exercise it in runs"]))
        }
        let chain: [CellJob], parity: ParityCheck?, facts: StepFacts
        do {
            (chain, parity, facts) = try scan.endpoint(node, upstream: outputs, runID: session.runID, forced: isForced(graph.cells[node]))
        } catch {
            return finish(node, result(node, .failed, ["\(error)"]))
        }
        keys[graph.cells[node].id.value.rawValue] = chain.last!.key
        switch StepPlanner.decide(facts) {
        case .restore(let stored, _):
            finish(node, restore(node, stored))
        case .run(let reasons):
            guard let runner else { return finish(node, result(node, .stale, reasons, key: facts.key)) }
            dispatch(node, reasons, key: facts.key) { runner.runSamples(chain: chain, samples: samples, parity: parity, key: facts.key) }
        }
    }

    private func upstreamStatuses(_ node: Int) -> [(id: String, status: RunReport.Status)] {
        graph.upstream[node].map { (graph.cells[$0.from].id.value.rawValue, results[$0.from]?.status ?? .skipped) }
    }

    private func isForced(_ cell: CodeCell) -> Bool { options.force == .all || options.force == .cell(cell.id.value) }

    // MARK: - Acting

    /// A stored result restored (a cache hit), or a failure to restore it.
    private func restore(_ node: Int, _ stored: NotebookState.Cell) -> RunReport.CellResult {
        do {
            try session.restore(stored, of: node)
        } catch {
            return result(node, .failed, ["cannot restore the outputs of cell '\(graph.cells[node].id.value)': \(error)"])
        }
        outputs[node] = stored.outputs
        var restored = result(node, .cached, stored: stored)
        restored.saved = stored.duration
        return restored
    }

    /// Hands `work` to a worker thread; with shared executions (a sweep), a key
    /// another run is executing is waited for instead of executed again.
    private func dispatch(_ node: Int, _ reasons: [String], key: Digest, _ work: @escaping @Sendable () -> CellOutcome) {
        observer?.cellStarted(graph.cells[node].id.value, reasons: reasons)
        running += 1
        let completions = self.completions
        let shared = options.shared
        DispatchQueue.global().async {
            guard let shared else { return completions.push((node, reasons, work())) }
            let (outcome, wasShared) = shared.run(key, work)
            if wasShared, case .succeeded(let entry) = outcome { return completions.push((node, reasons, .shared(entry))) }
            completions.push((node, reasons, outcome))
        }
    }

    /// Records a finished execution.
    private func complete(_ node: Int, reasons: [String], _ outcome: CellOutcome) {
        switch outcome {
        case .shared(let entry):
            // Executed by a concurrent run of the same workspace: this run's cache hit.
            let stored = NotebookState.Cell(entry)
            var restored = restore(node, stored)
            if restored.status == .cached {
                restored.reasons = ["executed once for the sweep by a concurrent point"]
                session.publish(node, outputs: stored.outputs, key: entry.components, keyDigest: entry.key, into: &restored)
            }
            finish(node, restored)
        case .succeeded(let entry):
            do {
                try session.keep(entry, of: node)
            } catch {
                var failed = result(node, .failed, ["cannot keep the result of cell '\(graph.cells[node].id.value)': \(error)"])
                failed.duration = entry.duration
                failed.stdout = entry.stdout
                failed.stderr = entry.stderr
                return finish(node, failed)
            }
            outputs[node] = entry.outputs
            var ran = result(node, .ran, reasons, stored: NotebookState.Cell(entry))
            ran.duration = entry.duration
            ran.warnings = entry.warnings
            session.publish(node, outputs: entry.outputs, key: entry.components, keyDigest: entry.key, into: &ran)
            finish(node, ran)
        case .failed(let failure):
            var said = [failure.message]
            if let full = session.workspace.fullFileSystemNote() {
                // Keeping a partial directory on a full disk would only keep it full.
                failure.keptDirectory.map(FileTree.remove)
                said.append(full)
            } else if let kept = failure.keptDirectory {
                said.append("its working directory is kept at \(kept)")
            }
            var failed = result(node, .failed, said)
            failed.duration = failure.duration
            failed.stdout = failure.stdout
            failed.stderr = failure.stderr
            failed.warnings = failure.warnings
            finish(node, failed)
        }
    }

    private func finish(_ node: Int, _ result: RunReport.CellResult) {
        results[node] = result
        observer?.cellFinished(result)
    }

    /// A cell's result with a status and reasons, carrying what a stored result says when given.
    private func result(_ node: Int, _ status: RunReport.Status, _ reasons: [String] = [], key: Digest? = nil,
                        stored: NotebookState.Cell? = nil) -> RunReport.CellResult {
        let cell = graph.cells[node]
        var result = RunReport.CellResult(id: cell.id.value.rawValue, stage: cell.stage.rawValue, status: status, reasons: reasons,
                                          key: key, duration: 0, saved: 0, metrics: [:], warnings: [], stdout: nil, stderr: nil,
                                          outputs: [:], earlyCutoff: false)
        if let stored {
            result.key = stored.key
            result.outputs = stored.outputs
            result.metrics = stored.metrics
            result.stdout = stored.stdout
            result.stderr = stored.stderr
            result.samples = stored.samples
        }
        return result
    }
}

/// Finished executions, handed from worker threads to the builder.
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
