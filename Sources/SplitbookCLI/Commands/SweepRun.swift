import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookReport
import SplitbookSpec

/// `splitbook run NB --sweep name=v1,v2 ...`: each point of the grid as a run
/// of its own, all sharing the workspace and its cache. Points run in
/// parallel up to `--jobs` (in one process, holding the workspace's lock once);
/// a step key two points need executes once (`SharedExecutions`), so a cell
/// that reads no swept param runs once for the whole grid and a point already
/// run is a cache hit. Ctrl-C stops the running cells and starts no new
/// point; running the same sweep again resumes it (its id depends only on the
/// notebook, the fixed params and the grid).
extension RunCommand {
    func runSweep(file: NotebookFile, options base: RunOptions) throws {
        let grid: SweepGrid
        do {
            grid = try SweepGrid(sweep)
        } catch {
            throw Terminal.usage(error.description)
        }
        guard let notebook = file.check.notebook else { throw invalidInput }
        for axis in grid.axes where !notebook.params.contains(where: { $0.name.value == axis.name }) {
            let hint = Suggestion.closest(to: axis.name, in: notebook.params.map(\.name.value)).map { " (did you mean '\($0)'?)" } ?? ""
            throw Terminal.usage("--sweep \(axis.name): the notebook has no param '\(axis.name)'\(hint)")
        }
        for axis in grid.axes where base.params[axis.name] != nil {
            throw Terminal.usage("\(axis.name) is given both with -p and with --sweep")
        }
        let points = grid.points
        let id = grid.id(notebook: file.source.path, fixed: base.params)
        let parallel = min(base.jobs, points.count)
        Terminal.error("sweep \(id): \(points.count) point\(points.count == 1 ? "" : "s") of "
                       + grid.axes.map { "\($0.name) (\($0.values.count))" }.joined(separator: " x ") + ", \(parallel) at a time")
        let workspace = try Workspace(root: base.outputs)
        let lock = try workspace.lock { Terminal.error("waiting for another splitbook run (\($0)) to finish with this outputs directory...") }
        defer { withExtendedLifetime(lock) {} }
        let interrupts = Interrupts.forwardToCells()
        defer { withExtendedLifetime(interrupts) {} }

        let progress = SweepProgress(total: points.count, json: json)
        let shared = SharedExecutions()
        let slots = DispatchSemaphore(value: parallel)
        let group = DispatchGroup()
        for (n, point) in points.enumerated() {
            slots.wait()
            if ProcessGroups.shared.isInterrupted {
                slots.signal()
                break
            }
            var options = base
            options.params.merge(point) { $1 }
            options.sweep = id
            options.shared = shared
            options.jobs = max(1, base.jobs / parallel)
            let label = grid.axes.map { "\($0.name)=\(point[$0.name]!.canonicalJSON)" }.joined(separator: " ")
            let pointOptions = options
            group.enter()
            DispatchQueue.global().async {
                defer { slots.signal(); group.leave() }
                progress.finished(n, label: label, Self.runPoint(file: file, options: pointOptions, sweep: id))
            }
        }
        group.wait()
        if let last = progress.lastReport, let data = FileManager.default.contents(atPath: Self.sweepReportURL(
            outputs: base.outputs, notebook: notebook.name, sweep: id, runID: last).path) {
            try? AtomicFile.write(data, to: workspace.reportURL(notebook.name), durable: false)
        }
        if ProcessGroups.shared.isInterrupted {
            Terminal.error("interrupted after \(progress.done) of \(points.count) points: run the same command again to resume "
                           + "(finished points are cache hits)")
            throw ExitCode(130)
        }
        Terminal.error("sweep \(id): \(points.count) points, \(progress.failed) failed, \(progress.executed) cells executed; "
                       + "compare them with: splitbook runs table --sweep \(id)")
        if progress.failed > 0 { throw ExitCode(1) }
    }

    /// One point's run; its report is kept beside the sweep's (`NAME/sweeps/ID/RUN.html`).
    static func runPoint(file: NotebookFile, options: RunOptions, sweep: String) -> Result<RunReport, any Error> {
        let observer = SweepObserver()
        return Result {
            try NotebookRunner(file: file, options: options).run(observer: observer) { report, _ in
                do {
                    try ReportPage.write(file: file, run: report, workspace: try Workspace(root: options.outputs),
                                         to: sweepReportURL(outputs: options.outputs, notebook: report.notebook, sweep: sweep, runID: report.runID))
                } catch {
                    Terminal.error("warning: cannot write the report of run \(report.runID): \(error)")
                }
            }
        }
    }

    static func sweepReportURL(outputs: URL, notebook: String, sweep: String, runID: String) -> URL {
        outputs.appendingPathComponent("\(notebook)/sweeps/\(sweep)/\(runID).html")
    }
}

/// A sweep's output: one line per finished point (or its run as JSON, one per line).
final class SweepProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let json: Bool
    private(set) var done = 0, failed = 0, executed = 0
    /// The run of the point that finished last (its report becomes the notebook's).
    private(set) var lastReport: String?

    init(total: Int, json: Bool) {
        self.total = total
        self.json = json
    }

    func finished(_ index: Int, label: String, _ result: Result<RunReport, any Error>) {
        lock.withLock {
            done += 1
            switch result {
            case .success(let report):
                executed += report.count(.ran)
                if report.failed { failed += 1 }
                lastReport = report.runID
                let line = json ? report.jsonText
                    : "point \(index + 1)/\(total) \(label): run \(report.runID), \(report.count(.ran)) ran, \(report.count(.cached)) cached"
                        + (report.failed ? ", \(report.count(.failed)) FAILED (" + report.cells.filter { $0.status == .failed }.map(\.id).joined(separator: ", ") + ")" : "")
                        + ", \(RunPrinter.seconds(report.duration))"
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            case .failure(let error):
                failed += 1
                Terminal.error("point \(index + 1)/\(total) \(label): \(error)")
            }
        }
    }
}

/// What a sweep point tells the terminal: environment builds only (points finish as one line each).
final class SweepObserver: RunObserver, @unchecked Sendable {
    func runStarted(notebook: Notebook, runID: String) {}
    func waitingForLock(holder: String) {}
    func cellStarted(_ id: CellID, reasons: [String]) {}
    func cellFinished(_ result: RunReport.CellResult) {}
    func cellPrinted(_ id: CellID, stream: String, line: String) {}
    var wantsLiveOutput: Bool { false }
    func environmentProgress(_ event: EnvironmentProgress) {
        if case .detail = event { return }
        if case .started(let text) = event { Terminal.error("python: \(text)") }
        if case .finished(let text) = event { Terminal.error("python: \(text)") }
    }
}
