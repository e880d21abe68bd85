import Foundation
import SplitbookEngine
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

    /// The outputs directory of the run, to read captured logs back from its store.
    private let objects: URL

    init(json: Bool, verbose: Bool, outputs: URL) {
        self.json = json
        self.verbose = verbose
        self.objects = outputs.appendingPathComponent(".splitbook/objects")
    }

    func runStarted(notebook: Notebook, runID: String) {
        guard !json else { return }
        width = notebook.codeCells.map(\.id.value.rawValue.count).max() ?? 8
        say("run \(runID) of \(notebook.path)")
        if live {
            let source = DispatchSource.makeTimerSource(queue: .global())
            source.schedule(deadline: .now() + 0.2, repeating: 0.2)
            source.setEventHandler { [weak self] in self?.drawLiveLine() }
            source.resume()
            timer = source
        }
    }

    func waitingForLock(holder: String) {
        Terminal.error("waiting for another splitbook run to finish with this outputs directory" + (holder.isEmpty ? "" : " (pid \(holder))") + "...")
    }

    func cellStarted(_ id: CellID, reasons: [String]) {
        lock.withLock { running.append((id, Date())) }
        if verbose, !json { say("  start   \(id): " + reasons.joined(separator: "; ")) }
    }

    func cellFinished(_ result: RunReport.CellResult) {
        lock.withLock { running.removeAll { $0.0.rawValue == result.id } }
        guard !json else { return }
        var line = "  " + result.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
            + result.id.padding(toLength: width, withPad: " ", startingAt: 0)
        switch result.status {
        case .ran: line += "  \(Self.seconds(result.duration))" + (result.reasons.isEmpty ? "" : "  (\(result.reasons.joined(separator: "; ")))")
        case .cached: if !result.reasons.isEmpty { line += "  (\(result.reasons.joined(separator: "; ")))" }
        case .failed, .skipped, .stale: line += "  " + result.reasons.joined(separator: "; ")
        case .online, .excluded: break
        }
        say(String(line.reversed().drop { $0 == " " }.reversed()))
        for warning in result.warnings { say("          warning: \(warning)") }
        if result.status == .failed, !verbose, let stderr = result.stderr, let text = output(stderr), !text.isEmpty {
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).suffix(20) { say("          | \(line)") }
        }
    }

    var wantsLiveOutput: Bool { verbose && !json }

    func cellPrinted(_ id: CellID, stream: String, line: String) {
        say("  \(id) \(stream == "stderr" ? "!" : "|") \(line)")
    }

    func finish(_ report: RunReport) {
        timer?.cancel()
        clearLiveLine()
        if json {
            print(Terminal.json(report))
            return
        }
        var parts = ["\(report.count(.ran)) ran", "\(report.count(.cached)) cached", "\(report.count(.failed)) failed",
                     "\(report.count(.skipped)) skipped"]
        if report.count(.online) > 0 { parts.append("\(report.count(.online)) online") }
        let cutoff = report.cells.filter(\.earlyCutoff).count
        var summary = parts.joined(separator: ", ") + " in \(Self.seconds(report.duration))"
        if report.saved > 0 { summary += "; the cache saved \(Self.seconds(report.saved))" }
        if cutoff > 0 { summary += "; early cutoff kept \(cutoff) cell\(cutoff == 1 ? "" : "s")" }
        say(summary)
    }

    private func output(_ digest: Digest) -> String? {
        // Logs are read back from the store only to show them; a missing one shows nothing.
        let url = objects.appendingPathComponent("\(digest.hex.prefix(2))/\(digest.hex.dropFirst(2))")
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
        value < 10 ? String(format: "%.2f s", value) : String(format: "%.1f s", value)
    }
}
