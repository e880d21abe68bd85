import Foundation
import SplitbookEngine
import SplitbookReport
import SplitbookSpec

/// Prints a run as it happens: one plain line per finished cell (so pipes
/// and CI logs read well) and, on a terminal, a live line naming the cells
/// still running with their elapsed time. Ends with a summary.
final class RunPrinter: RunObserver, @unchecked Sendable {
    let json: Bool
    let verbose: Bool
    private let live = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["CI"] == nil
    private let lock = NSLock()
    private var running: [(CellID, Date)] = []
    private var timer: DispatchSourceTimer?
    private var width = 8
    /// The per-cell lines printed so far (for the no-op stamp's replay).
    private(set) var cellLines: [String] = []

    /// The outputs directory of the run, to read captured logs back from its store.
    private let store: URL
    private let outputs: URL

    init(json: Bool, verbose: Bool, outputs: URL) {
        self.json = json
        self.verbose = verbose
        self.outputs = outputs
        self.store = outputs.appendingPathComponent(".splitbook")
    }

    func runStarted(notebook: Notebook, runID: String) {
        width = notebook.codeCells.map(\.id.value.rawValue.count).max() ?? 8
        guard !json else { return }
        say("run \(runID) of \(notebook.path)")
        if live {
            let source = DispatchSource.makeTimerSource(queue: .global())
            source.schedule(deadline: .now() + 0.2, repeating: 0.2)
            source.setEventHandler { [weak self] in self?.drawLiveLine() }
            source.resume()
            timer = source
        }
    }

    func recordingFailed(_ message: String) {
        Terminal.error("warning: " + message)
    }

    /// Writes the run's HTML report; returns its template for the no-op
    /// stamp, or nil (with a warning) when it cannot be written.
    func writeReport(file: NotebookFile, run: RunReport, outputs: URL) -> String? {
        do {
            return try ReportPage.write(file: file, run: run, workspace: try Workspace(root: outputs))
        } catch {
            recordingFailed("cannot write the report: \(error)")
            return nil
        }
    }

    func waitingForLock(holder: String) {
        Terminal.error("waiting for another splitbook run (\(holder)) to finish with this outputs directory...")
    }

    func cellStarted(_ id: CellID, reasons: [String]) {
        lock.withLock { running.append((id, Date())) }
        if verbose, !json { say("  start   \(id): " + reasons.joined(separator: "; ")) }
    }

    func cellFinished(_ result: RunReport.CellResult) {
        lock.withLock { running.removeAll { $0.0.rawValue == result.id } }
        var line = "  " + Self.statusColumn(result.status.rawValue)
            + result.id.padding(toLength: width, withPad: " ", startingAt: 0)
        switch result.status {
        case .ran: line += "  \(Self.seconds(result.duration))" + (result.reasons.isEmpty ? "" : "  (\(result.reasons.joined(separator: "; ")))")
        case .cached: if !result.reasons.isEmpty { line += "  (\(result.reasons.joined(separator: "; ")))" }
        case .failed, .skipped, .stale: line += "  " + result.reasons.joined(separator: "; ")
        case .online: if !result.reasons.isEmpty { line += "  (\(result.reasons.joined(separator: "; ")))" }
        case .excluded: break
        }
        for name in result.newVersions { line += "  published \(name) v\(result.published[name] ?? 0)" }
        if result.stage == "online", let p50 = result.metrics["latency_p50_ms"], let p95 = result.metrics["latency_p95_ms"] {
            line += String(format: "  latency p50 %.1f ms, p95 %.1f ms", p50, p95)
        }
        let trimmed = String(line.reversed().drop { $0 == " " }.reversed())
        cellLines.append(trimmed)
        guard !json else { return }
        say(trimmed)
        for warning in result.warnings {
            // A rendered diagnostic (file:line:col, source line, notes) prints as it is.
            say(warning.contains("\n") ? String(warning.dropLast(warning.hasSuffix("\n") ? 1 : 0)) : "          warning: \(warning)")
        }
        if result.status == .failed, !verbose, let stderr = result.stderr, let text = output(stderr), !text.isEmpty {
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).suffix(20) { say("          | \(line)") }
        }
    }

    var wantsLiveOutput: Bool { verbose && !json }

    /// Environment steps get a line each on stderr (stdout stays the run's
    /// record, `--json` included); the installer's own lines show as the
    /// live line on a terminal, or in full with `--verbose`.
    func environmentProgress(_ event: EnvironmentProgress) {
        switch event {
        case .started(let text), .finished(let text):
            lock.withLock {
                if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                FileHandle.standardError.write(Data("python: \(text)\n".utf8))
            }
        case .detail(let line):
            if verbose {
                Terminal.error("  | \(line)")
            } else if live {
                lock.withLock { FileHandle.standardError.write(Data("\r\u{1B}[K  \(line.prefix(150))".utf8)) }
            }
        }
    }

    func cellPrinted(_ id: CellID, stream: String, line: String) {
        say("  \(id) \(stream == "stderr" ? "!" : "|") \(line)")
    }

    func finish(_ report: RunReport) {
        timer?.cancel()
        clearLiveLine()
        if json {
            print(report.jsonText)
            return
        }
        say(Self.summary(ran: report.count(.ran), cached: report.count(.cached), failed: report.count(.failed),
                         skipped: report.count(.skipped), online: report.count(.online), duration: report.duration,
                         saved: report.saved, cutoff: report.cells.filter(\.earlyCutoff).count))
        say("report: " + Self.relative(outputs.appendingPathComponent("\(report.notebook)/report.html").standardizedFileURL.path))
    }

    /// A cell's status as the first column of a table: wide enough for the
    /// longest ("excluded") and a space.
    static func statusColumn(_ status: String) -> String {
        status.padding(toLength: 9, withPad: " ", startingAt: 0)
    }

    /// A path as the user would type it from the current directory.
    static func relative(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }

    /// The closing line of a run.
    static func summary(ran: Int, cached: Int, failed: Int, skipped: Int, online: Int, duration: Double, saved: Double,
                        cutoff: Int) -> String {
        var parts = ["\(ran) ran", "\(cached) cached", "\(failed) failed", "\(skipped) skipped"]
        if online > 0 { parts.append("\(online) online") }
        var summary = parts.joined(separator: ", ") + " in \(seconds(duration))"
        if saved > 0 { summary += "; the cache saved \(seconds(saved))" }
        if cutoff > 0 { summary += "; early cutoff kept \(cutoff) cell\(cutoff == 1 ? "" : "s")" }
        return summary
    }

    /// Prints a replayed no-op run (see `NoopStamp`).
    static func replay(_ replay: NoopStamp.Replay, runID: String, notebookPath: String, record: String, duration: Double,
                       reportPath: String, json: Bool, verbose: Bool) {
        if json {
            print(record)
            return
        }
        var text = "run \(runID) of \(notebookPath)\n"
        if verbose { text += "  nothing changed since the last run: replayed without loading the notebook\n" }
        for line in replay.lines { text += line + "\n" }
        text += summary(ran: 0, cached: Int(replay.summary["cached"] ?? 0), failed: 0, skipped: 0,
                        online: Int(replay.summary["online"] ?? 0), duration: duration, saved: replay.summary["saved"] ?? 0,
                        cutoff: 0) + "\n"
        text += "report: " + relative(URL(fileURLWithPath: reportPath).standardizedFileURL.path) + "\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private func output(_ digest: Digest) -> String? {
        // Logs are read back from the store only to show them; a missing one shows nothing.
        let url = URL(fileURLWithPath: ContentStore.path(of: digest, in: store))
        return (try? Data(contentsOf: url)).map { String(decoding: $0, as: UTF8.self) }
    }

    private func say(_ line: String) {
        lock.withLock {
            if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    private func drawLiveLine() {
        lock.withLock {
            guard !running.isEmpty else { return }
            let now = Date()
            let text = "running " + running.map { "\($0.0) \(Self.seconds(now.timeIntervalSince($0.1)))" }.joined(separator: ", ")
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text.prefix(200))".utf8))
        }
    }

    private func clearLiveLine() {
        if live { lock.withLock { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
    }

    static func seconds(_ value: Double) -> String {
        DecimalText.fixed(value, value < 10 ? 2 : 1) + " s"
    }
}
