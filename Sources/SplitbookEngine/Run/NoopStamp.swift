import Foundation
import SplitbookSpec

/// make's trick for the commonest run of all, the one where nothing changed.
///
/// After a run in which every cell was a cache hit, the stamp records the
/// `stat` identity of every file that run's decisions read: the notebook, each
/// source input and `file:` code (directories entry by entry), the workspace
/// copies, the stored objects, the state file, the interpreters and the
/// splitbook executable, plus the options and environment variables that
/// steer key computation. The next run with the same options checks those
/// identities (one `lstat` each) and, if all hold, replays the previous
/// outcome without parsing the notebook or computing a key. Any difference,
/// or any file changed within the racy window before the stamp was taken,
/// falls back to the full computation, which is always right.
///
/// Files, beside the state in `noop/`:
///
///     NAME.stamp     splitbook-noop 1 / time <ns> / context <text> /
///                    f <dev> <ino> <size> <mtime_ns> <ctime_ns> <path>...
///     NAME.replay    the cell lines the run printed, then `summary cached=N online=N excluded=N saved=S`
///     NAME.record    the run record, with @RUN_ID@, @STARTED@, @DURATION@ to fill in
///     NAME.report    the HTML report, with the same placeholders
public enum NoopStamp {
    static let header = "splitbook-noop 1"

    /// What must match besides files: options and the environment that steers key computation.
    public static func context(params: String, only: String?, registry: String, environment: [String: String]) -> String {
        let env = ["PATH", "HOME", "PYENV_VERSION", "VIRTUAL_ENV", "CONDA_PREFIX"].map { "\($0)=\(environment[$0] ?? "")" }
        return (["format=\(StepKey.formatVersion)", "params=\(params)", "only=\(only ?? "")", "registry=\(registry)"] + env)
            .joined(separator: "\u{1F}").replacingOccurrences(of: "\n", with: "\u{1E}")
    }

    /// The previous outcome, when nothing it depended on has changed.
    public struct Replay: Sendable {
        public var lines: [String]
        public var summary: [String: Double]
        public var recordTemplate: String
    }

    static func directory(_ workspace: Workspace) -> URL { workspace.meta.appendingPathComponent("noop") }

    /// Checks the stamp of `notebook` (its name) against the files it lists.
    public static func replay(workspace: Workspace, notebook: String, context: String) -> Replay? {
        let dir = directory(workspace)
        guard let stamp = try? String(contentsOf: dir.appendingPathComponent("\(notebook).stamp"), encoding: .utf8) else { return nil }
        var first = true
        var taken: Int64 = 0
        var contextMatches = false
        let holds = LineRecords.forEach(in: stamp, maxFields: 7) { f in
            if first {
                first = false
                return f.joined(separator: " ") == header
            }
            switch f[0] {
            case "time":
                taken = Int64(f[1]) ?? 0
                return true
            case "context":
                contextMatches = f.dropFirst().joined(separator: " ") == context
                return contextMatches
            case "f":
                guard f.count == 7, let now = FileIdentity.of(String(f[6])),
                      String(now.device) == f[1], String(now.inode) == f[2], String(now.size) == f[3],
                      String(now.mtimeNanos) == f[4], String(now.ctimeNanos) == f[5],
                      now.ctimeNanos < taken - FileHasher.defaultRacyWindowNanos else { return false }
                return true
            default:
                return false
            }
        }
        guard holds, contextMatches, taken > 0,
              let replay = try? String(contentsOf: dir.appendingPathComponent("\(notebook).replay"), encoding: .utf8),
              let record = try? String(contentsOf: dir.appendingPathComponent("\(notebook).record"), encoding: .utf8) else { return nil }
        var lines = replay.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        // `summary cached=3 online=1 excluded=0 saved=0.07`
        guard let last = lines.popLast(), last.hasPrefix("summary ") else { return nil }
        var summary: [String: Double] = [:]
        for pair in last.dropFirst(8).split(separator: " ") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let value = Double(kv[1]) else { return nil }
            summary[String(kv[0])] = value
        }
        return Replay(lines: lines, summary: summary, recordTemplate: record)
    }

    /// Records a stamp after an all-cached run.
    public static func write(workspace: Workspace, notebook: String, context: String, files: [String], lines: [String],
                             report: RunReport, reportPage: String?) throws(FileSystemError) {
        let dir = directory(workspace)
        var stamp = header + "\ntime \(FileHasher.now())\ncontext \(context)\n"
        for path in Set(files).sorted() {
            guard let i = FileIdentity.of(path) else { continue }
            stamp += "f \(i.device) \(i.inode) \(i.size) \(i.mtimeNanos) \(i.ctimeNanos) \(path)\n"
        }
        let summary = "cached=\(report.count(.cached)) online=\(report.count(.online)) excluded=\(report.count(.excluded)) saved=\(report.saved)"
        var template = report
        template.runID = "@RUN_ID@"
        template.duration = 0
        template.startedAt = Date(timeIntervalSince1970: 0)
        let record = template.jsonText
            .replacingOccurrences(of: "\"startedAt\":\"1970-01-01T00:00:00Z\"", with: "\"startedAt\":\"@STARTED@\"")
            .replacingOccurrences(of: "\"duration\":0.0,\"notebook\"", with: "\"duration\":@DURATION@,\"notebook\"")
        try AtomicFile.write(Data((lines + ["summary " + summary]).joined(separator: "\n").utf8 + Data("\n".utf8)),
                             to: dir.appendingPathComponent("\(notebook).replay"), durable: false)
        try AtomicFile.write(Data(record.utf8), to: dir.appendingPathComponent("\(notebook).record"), durable: false)
        let page = dir.appendingPathComponent("\(notebook).report")
        if let reportPage {
            try AtomicFile.write(Data(reportPage.utf8), to: page, durable: false)
        } else {
            unlink(page.path)
        }
        // The stamp last: it is what makes the other two count.
        try AtomicFile.write(Data(stamp.utf8), to: dir.appendingPathComponent("\(notebook).stamp"), durable: false)
    }

    /// Removes a notebook's stamp (any run that did work makes it stale anyway).
    public static func remove(workspace: Workspace, notebook: String) {
        unlink(directory(workspace).appendingPathComponent("\(notebook).stamp").path)
    }

    /// Saves the history record of a replayed run; returns its id and text.
    public static func saveRecord(workspace: Workspace, notebook: String, template: String,
                                  duration: Double) throws(FileSystemError) -> (runID: String, record: String) {
        let runID = NotebookRunner.newRunID(after: RunHistory(workspace: workspace).runIDs(notebook).last)
        let started = ISOTime.string(Date())
        let record = fill(template, ["@RUN_ID@": runID, "@STARTED@": started, "@DURATION@": JSONValueText.double(duration)])
        try AtomicFile.write(Data(record.utf8), to: workspace.runsDirectory(notebook).appendingPathComponent("\(runID).json"), durable: false)
        if let page = try? String(contentsOf: directory(workspace).appendingPathComponent("\(notebook).report"), encoding: .utf8) {
            let html = fill(page, ["@RUN_ID@": runID, "@STARTED@": started, "@DURATION@": DurationText.format(duration)])
            try AtomicFile.write(Data(html.utf8), to: ReportPage.url(workspace: workspace, notebook: notebook), durable: false)
        }
        return (runID, record)
    }

    /// Replaces `@NAME@` placeholders in one pass over the bytes (Foundation's
    /// replacingOccurrences goes through UTF-16 and costs milliseconds here).
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = ""
        out.reserveCapacity(template.utf8.count + 64)
        var rest = Substring(template)
        while let at = rest.utf8.firstIndex(of: UInt8(ascii: "@")) {
            out += rest[..<at]
            let afterAt = rest.utf8.index(after: at)
            if let close = rest.utf8[afterAt...].firstIndex(of: UInt8(ascii: "@")),
               let value = values[String(rest[at...close])] {
                out += value
                rest = rest[rest.utf8.index(after: close)...]
            } else {
                out += "@"
                rest = rest[afterAt...]
            }
        }
        out += rest
        return out
    }

    /// Every file and directory under `path` (itself included).
    static func walk(_ path: String, into files: inout [String]) {
        guard let identity = FileIdentity.of(path) else { return }
        files.append(path)
        guard identity.kind == .directory else { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { walk(path + "/" + name, into: &files) }
    }
}

/// Number formatting identical to the run record's.
enum JSONValueText {
    static func double(_ value: Double) -> String {
        var w = JSONWriter(capacity: 16)
        w.double(value)
        return w.text
    }
}
