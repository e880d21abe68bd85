import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookSpec

/// `splitbook run NB --sweep name=v1,v2 ...`: each point of the grid as a run
/// of its own, all sharing the cache, so a cell that reads no swept param runs
/// once for the whole grid and a point already run is a cache hit. Points run
/// one after the other (each with the cells of a point in parallel up to
/// `--jobs`); Ctrl-C stops after the running cells, and running the same sweep
/// again resumes it (its id depends only on the notebook, the fixed params
/// and the grid).
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
        Terminal.error("sweep \(id): \(points.count) point\(points.count == 1 ? "" : "s") of " + grid.axes.map { "\($0.name) (\($0.values.count))" }.joined(separator: " x "))
        let interrupts = Interrupts.forwardToCells()
        defer { withExtendedLifetime(interrupts) {} }
        var failed = 0, executed = 0
        for (n, point) in points.enumerated() {
            var options = base
            options.params.merge(point) { $1 }
            options.sweep = id
            let label = grid.axes.map { "\($0.name)=\(point[$0.name]!.canonicalJSON)" }.joined(separator: " ")
            if !json { FileHandle.standardOutput.write(Data("point \(n + 1)/\(points.count): \(label)\n".utf8)) }
            let printer = RunPrinter(json: json, verbose: verbose, outputs: options.outputs)
            let report: RunReport
            do {
                report = try Terminal.reportingEnvironmentErrors {
                    try NotebookRunner(file: file, options: options).run(observer: printer) { report, _ in
                        _ = printer.writeReport(file: file, run: report, outputs: options.outputs)
                        Self.keepReport(report, sweep: id, outputs: options.outputs)
                        printer.finish(report)
                    }
                }
            } catch let error as RunUsageError {
                throw Terminal.usage(error.description)
            }
            executed += report.count(.ran)
            if report.failed { failed += 1 }
            if ProcessGroups.shared.isInterrupted {
                Terminal.error("interrupted at point \(n + 1) of \(points.count): run the same command again to resume (finished points are cache hits)")
                throw ExitCode(130)
            }
        }
        Terminal.error("sweep \(id): \(points.count) points, \(failed) failed, \(executed) cells executed; "
                       + "compare them with: splitbook runs table --sweep \(id)")
        if failed > 0 { throw ExitCode(1) }
    }

    /// Each point's report stays beside the sweep's (`NAME/sweeps/ID/RUN.html`), for `runs report` to link.
    static func keepReport(_ run: RunReport, sweep: String, outputs: URL) {
        let source = outputs.appendingPathComponent("\(run.notebook)/report.html")
        let target = sweepReportURL(outputs: outputs, notebook: run.notebook, sweep: sweep, runID: run.runID)
        try? AtomicFile.makeDirectory(target.deletingLastPathComponent().path)
        guard let data = FileManager.default.contents(atPath: source.path) else { return }
        try? AtomicFile.write(data, to: target, durable: false)
    }

    static func sweepReportURL(outputs: URL, notebook: String, sweep: String, runID: String) -> URL {
        outputs.appendingPathComponent("\(notebook)/sweeps/\(sweep)/\(runID).html")
    }
}
