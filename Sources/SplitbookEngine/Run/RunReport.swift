import Foundation

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
    }

    public var version = RunReport.formatVersion
    public var runID: String
    public var notebook: String
    public var notebookPath: String
    public var startedAt: Date
    public var duration: Double
    public var params: [String: String]
    public var cells: [CellResult]

    public func count(_ status: Status) -> Int { cells.filter { $0.status == status }.count }
    public var saved: Double { cells.filter { $0.status == .cached }.map(\.saved).reduce(0, +) }
    public var failed: Bool { cells.contains { $0.status == .failed } }
}
