import Foundation
import SplitbookSpec

/// What happened to each cell in a run, and the run as a whole. Saved as the
/// run's history record (`runs/NAME/<run>.json`) and printed by `--json`.
public struct RunReport: Codable, Sendable {
    public static let formatVersion = 1

    public enum Status: String, Codable, Sendable {
        /// Executed in this run.
        case ran
        /// Restored from the cache without executing.
        case cached
        case failed
        /// Not run because something upstream failed.
        case skipped
        /// An online cell: served by `splitbook serve`, not run as a batch step.
        case online
        /// Left out by `--only`.
        case excluded
        /// (`status` only) would run: its key has no cached result, or an upstream will rerun.
        case stale
    }

    /// One cell's fate.
    public struct CellResult: Codable, Sendable {
        public var id: String
        public var stage: String
        public var status: Status
        /// Why it ran ("code changed", "never ran"), why it was kept, or why it failed.
        public var reasons: [String]
        public var key: Digest?
        public var duration: Double
        /// For cached cells: how long the run that produced the entry took.
        public var saved: Double
        public var metrics: [String: Double]
        public var warnings: [String]
        public var stdout: Digest?
        public var stderr: Digest?
        public var outputs: [String: StoredItem]
        /// Kept when upstream reran with identical output (early cutoff).
        public var earlyCutoff: Bool
        /// Artifacts published: name -> registry version.
        public var published: [String: Int] = [:]
        /// The artifacts among `published` that got a new version in this run.
        public var newVersions: [String] = []
        /// For an online endpoint: the stored JSON of its sample requests, responses and latencies.
        public var samples: Digest?
    }

    public var version = RunReport.formatVersion
    public var runID: String
    public var notebook: String
    public var notebookPath: String
    public var startedAt: Date
    public var duration: Double
    public var params: [String: String]
    public var cells: [CellResult]
    /// The sweep this run was a point of (`run --sweep`).
    public var sweep: String?
    /// Bytes this run read, wrote and cloned, by `IOStage` name (stages with none left out).
    public var io: [String: IOCounters.Count]?

    /// The record as JSON, written by hand (this runs on every run, even a
    /// no-op one, where `JSONEncoder` would cost more than the rest of it).
    /// Same keys and shapes as the `Codable` conformance, which reads it back.
    public var jsonText: String { json(placeholders: false) }

    /// The record with `@RUN_ID@`, `@STARTED@` and `@DURATION@` where its run
    /// id, start and duration go: what the no-op stamp fills in for each replay.
    public var jsonTemplate: String { json(placeholders: true) }

    private func json(placeholders: Bool) -> String {
        var w = JSONWriter(capacity: 256 + 400 * cells.count)
        w.beginObject()
        w.key("cells"); w.beginArray()
        for c in cells {
            w.beginObject()
            w.key("duration"); w.double(c.duration)
            w.key("earlyCutoff"); w.bool(c.earlyCutoff)
            w.string("id", c.id)
            if let key = c.key { w.string("key", key.hex) }
            w.key("metrics"); w.beginObject(); for name in c.metrics.keys.sorted() { w.key(name); w.double(c.metrics[name]!) }; w.endObject()
            w.key("newVersions"); w.beginArray(); for name in c.newVersions { w.string(name) }; w.endArray()
            w.key("outputs"); w.beginObject()
            for path in c.outputs.keys.sorted() {
                let o = c.outputs[path]!
                w.key(path); w.beginObject()
                w.string("digest", o.digest.hex); w.key("executable"); w.bool(o.executable)
                w.string("kind", o.kind.rawValue); w.key("size"); w.int(Int(o.size))
                w.endObject()
            }
            w.endObject()
            w.key("published"); w.beginObject(); for name in c.published.keys.sorted() { w.key(name); w.int(c.published[name]!) }; w.endObject()
            w.key("reasons"); w.beginArray(); for r in c.reasons { w.string(r) }; w.endArray()
            if let d = c.samples { w.string("samples", d.hex) }
            w.key("saved"); w.double(c.saved)
            w.string("stage", c.stage)
            w.string("status", c.status.rawValue)
            if let d = c.stderr { w.string("stderr", d.hex) }
            if let d = c.stdout { w.string("stdout", d.hex) }
            w.key("warnings"); w.beginArray(); for x in c.warnings { w.string(x) }; w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("duration")
        if placeholders { w.raw("@DURATION@") } else { w.double(duration) }
        if !placeholders, let io, !io.isEmpty {  // a replayed no-op moved nothing
            w.key("io"); w.beginObject()
            for stage in io.keys.sorted() {
                let c = io[stage]!
                w.key(stage); w.beginObject()
                w.key("cloned"); w.int(Int(c.cloned)); w.key("read"); w.int(Int(c.read)); w.key("written"); w.int(Int(c.written))
                w.endObject()
            }
            w.endObject()
        }
        w.string("notebook", notebook)
        w.string("notebookPath", notebookPath)
        w.stringMap("params", params)
        w.string("runID", placeholders ? "@RUN_ID@" : runID)
        w.string("startedAt", placeholders ? "@STARTED@" : ISOTime.string(startedAt))
        if let sweep { w.string("sweep", sweep) }
        w.key("version"); w.int(version)
        w.endObject()
        return w.text
    }

    public func count(_ status: Status) -> Int { cells.filter { $0.status == status }.count }
    public var saved: Double { cells.filter { $0.status == .cached }.map(\.saved).reduce(0, +) }
    public var failed: Bool { cells.contains { $0.status == .failed } }
}

/// ISO 8601 UTC timestamps (`2026-11-25T00:33:21Z`) without a DateFormatter,
/// whose ICU set-up costs milliseconds per process.
public enum ISOTime {
    public static func string(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var t = tm()
        gmtime_r(&seconds, &t)
        func pad(_ v: Int32, _ width: Int = 2) -> String {
            let digits = String(v)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1))-\(pad(t.tm_mday))T\(pad(t.tm_hour)):\(pad(t.tm_min)):\(pad(t.tm_sec))Z"
    }
}
