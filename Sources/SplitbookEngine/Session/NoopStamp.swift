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
///
/// The check and the replay run on every no-op rerun, so they read bytes
/// (`FileBytes`, `StampCursor`) rather than going through Foundation.
public enum NoopStamp {
    static let header = "splitbook-noop 1"

    /// The environment variables that steer key computation (interpreter lookup).
    static let steeringVariables = ["PATH", "HOME", "PYENV_VERSION", "VIRTUAL_ENV", "CONDA_PREFIX"]

    /// Just the variables `context` and the registry's location read, via
    /// `getenv`: building the whole environment dictionary costs more.
    public static func steeringEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        for name in steeringVariables + ["SPLITBOOK_REGISTRY"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return environment
    }

    /// What must match besides files: options and the environment that steers key computation.
    public static func context(params: String, only: String?, registry: String, environment: [String: String]) -> String {
        var text = "format=\(StepKey.formatVersion)\u{1F}params=\(params)\u{1F}only=\(only ?? "")\u{1F}registry=\(registry)"
        for name in steeringVariables { text += "\u{1F}\(name)=\(environment[name] ?? "")" }
        // One line in the stamp: newlines (in a param, say) become U+001E.
        return String(decoding: text.utf8.map { $0 == 0x0A ? 0x1E : $0 }, as: UTF8.self)
    }

    /// The previous outcome, when nothing it depended on has changed.
    public struct Replay: Sendable {
        public var lines: [String]
        public var summary: [String: Double]
        /// The run record with `@RUN_ID@`, `@STARTED@`, `@DURATION@` to fill in.
        public var recordTemplate: [UInt8]
    }

    static func directory(_ workspace: Workspace) -> URL { workspace.meta.appendingPathComponent("noop") }

    /// Checks the stamp of `notebook` (its name) against the files it lists.
    /// This runs on every no-op rerun, so it works on the stamp's bytes: one
    /// `lstat` per listed file, through a pointer into the buffer, and no
    /// allocation per line.
    public static func replay(workspace: Workspace, notebook: String, context: String) -> Replay? {
        let dir = directory(workspace).path + "/" + notebook
        guard var stamp = FileBytes.read(dir + ".stamp"), holds(&stamp, context: context),
              let replay = FileBytes.read(dir + ".replay"),
              let record = FileBytes.read(dir + ".record") else { return nil }
        var lines = replay.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
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

    /// Whether the stamp's header and context match and every file it lists
    /// still has the recorded identity, taken outside the racy window.
    /// Overwrites each line's newline with NUL to pass the path to `lstat`.
    static func holds(_ stamp: inout [UInt8], context: String) -> Bool {
        stamp.withUnsafeMutableBufferPointer { buffer in
            var cursor = StampCursor(buffer: buffer)
            guard cursor.line(equals: Array(header.utf8)), cursor.literal("time "), let taken = cursor.integer(),
                  cursor.newline(), cursor.literal("context "), cursor.line(equals: Array(context.utf8)) else { return false }
            while !cursor.atEnd {
                guard cursor.literal("f "), let device = cursor.integer(), cursor.literal(" "),
                      let inode = cursor.integer(), cursor.literal(" "), let size = cursor.integer(), cursor.literal(" "),
                      let mtime = cursor.integer(), cursor.literal(" "), let ctime = cursor.integer(), cursor.literal(" "),
                      let path = cursor.restOfLineAsCString(), let now = FileIdentity.of(cPath: path),
                      now.device == UInt64(bitPattern: device), now.inode == UInt64(bitPattern: inode), now.size == size,
                      now.mtimeNanos == mtime, now.ctimeNanos == ctime,
                      now.ctimeNanos < taken - FileHasher.defaultRacyWindowNanos else { return false }
            }
            return true
        }
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
        let record = report.jsonTemplate
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

    /// Saves the history record of a replayed run and its report page;
    /// returns the run id and the record's text.
    public static func saveRecord(workspace: Workspace, notebook: String, template: [UInt8],
                                  duration: Double) throws(FileSystemError) -> (runID: String, record: String) {
        let runID = RunSession.newRunID(after: RunHistory(workspace: workspace).lastRunID(notebook))
        let started = ISOTime.string(Date())
        let record = fill(template, ["@RUN_ID@": runID, "@STARTED@": started, "@DURATION@": JSONValueText.double(duration)])
        try AtomicFile.write(Data(record), to: workspace.runsDirectory(notebook).appendingPathComponent("\(runID).json"), durable: false)
        let dir = directory(workspace).path
        if let page = FileBytes.read(dir + "/\(notebook).report") {
            let html = fill(page, ["@RUN_ID@": runID, "@STARTED@": started, "@DURATION@": DurationText.format(duration)])
            try AtomicFile.write(Data(html), to: workspace.reportURL(notebook), durable: false,
                                 spares: workspace.store.spares)
        }
        return (runID, String(decoding: record, as: UTF8.self))
    }

    /// Replaces `@NAME@` placeholders in `template`.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        String(decoding: fill(Array(template.utf8), values), as: UTF8.self)
    }

    /// Replaces `@NAME@` placeholders in one pass over the bytes, jumping
    /// from `@` to `@` with memchr (a report page is hundreds of kilobytes).
    public static func fill(_ template: [UInt8], _ values: [String: String]) -> [UInt8] {
        let keys = values.map { (Array($0.key.utf8), Array($0.value.utf8)) }
        var out: [UInt8] = []
        out.reserveCapacity(template.count + 64)
        template.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            var copied = 0
            var at = 0
            while at < bytes.count, let hit = memchr(base + at, Int32(UInt8(ascii: "@")), bytes.count - at) {
                let i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if let (key, value) = keys.first(where: { i + $0.0.count <= bytes.count && memcmp(base + i, $0.0, $0.0.count) == 0 }) {
                    out.append(contentsOf: bytes[copied..<i])
                    out.append(contentsOf: value)
                    copied = i + key.count
                    at = copied
                } else {
                    at = i + 1
                }
            }
            out.append(contentsOf: bytes[copied...])
        }
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

/// A reader over a stamp's bytes: literals, decimal integers and lines.
struct StampCursor {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var position = 0

    init(buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    var atEnd: Bool { position >= buffer.count }

    /// Consumes `text` if the bytes at the cursor are exactly it.
    mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= buffer.count, memcmp(buffer.baseAddress! + position, text.utf8Start, count) == 0 else { return false }
        position += count
        return true
    }

    mutating func newline() -> Bool {
        guard position < buffer.count, buffer[position] == 0x0A else { return false }
        position += 1
        return true
    }

    /// Consumes a line (and its newline) that must equal `bytes`.
    mutating func line(equals bytes: [UInt8]) -> Bool {
        guard position + bytes.count < buffer.count, memcmp(buffer.baseAddress! + position, bytes, bytes.count) == 0 else { return false }
        position += bytes.count
        return newline()
    }

    /// A decimal integer, optionally negative, with no overflow.
    mutating func integer() -> Int64? {
        var negative = false
        if position < buffer.count, buffer[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        let start = position
        var value: Int64 = 0
        while position < buffer.count, buffer[position] &- 0x30 < 10 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(buffer[position] &- 0x30))
            guard !o1, !o2 else { return nil }
            value = sum
            position += 1
        }
        guard position > start else { return nil }
        return negative ? -value : value
    }

    /// The rest of the line as a NUL-terminated C string (the newline
    /// becomes the NUL); the cursor moves past it.
    mutating func restOfLineAsCString() -> UnsafePointer<CChar>? {
        let start = position
        guard let nl = memchr(buffer.baseAddress! + start, 0x0A, buffer.count - start) else { return nil }
        let end = buffer.baseAddress!.distance(to: nl.assumingMemoryBound(to: UInt8.self))
        guard end > start, memchr(buffer.baseAddress! + start, 0, end - start) == nil else { return nil }
        buffer[end] = 0
        position = end + 1
        return UnsafeRawPointer(buffer.baseAddress! + start).assumingMemoryBound(to: CChar.self)
    }
}
