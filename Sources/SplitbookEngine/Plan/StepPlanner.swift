import SplitbookSpec

/// What is known about one ready cell before deciding its fate, gathered by
/// `DependencyScan` (which reads files) so that the decision itself reads
/// nothing.
public struct StepFacts: Sendable {
    /// The cell's step key (for an endpoint, the key of its chain and samples).
    public var key: Digest
    /// The cell's last result in the notebook's state, whatever its key.
    public var previous: NotebookState.Cell?
    /// A stored result for `key` whose every object is intact.
    public var stored: NotebookState.Cell?
    /// Why a stored result for `key` cannot be restored: each damaged or missing object.
    public var damage: [String]
    /// `--force` names this cell, or every cell.
    public var forced: Bool
    /// `cache: false` makes a cell always run.
    public var cacheable: Bool
    /// Upstream cells that executed in this run, in upstream order (early cutoff).
    public var reranUpstream: [String]
    /// What changed since `previous`, in the user's words ("code changed",
    /// "param top_k 3 -> 5"); asked only when the cell will run.
    public var changes: @Sendable () -> [String]

    public init(key: Digest, previous: NotebookState.Cell?, stored: NotebookState.Cell?, damage: [String] = [], forced: Bool = false,
                cacheable: Bool = true, reranUpstream: [String] = [], changes: @escaping @Sendable () -> [String] = { [] }) {
        self.key = key
        self.previous = previous
        self.stored = stored
        self.damage = damage
        self.forced = forced
        self.cacheable = cacheable
        self.reranUpstream = reranUpstream
        self.changes = changes
    }
}

/// Restore or run, and why.
public enum StepDecision: Sendable {
    /// Restore this stored result; `cutoff` is an upstream cell that reran
    /// and produced identical output (early cutoff), when there is one.
    case restore(NotebookState.Cell, cutoff: String?)
    /// Run the cell, for these reasons.
    case run([String])
}

/// The decisions of a run, as pure functions of what is known (ninja's
/// `Plan`): no file, process or clock. `Builder` asks them for every ready
/// cell; `status` and `explain` get the same answers because they ask the
/// same functions.
public enum StepPlanner {
    /// A cell some of whose upstream cells did not succeed: `stale` when one
    /// of them will rerun (only in a plan), else `skipped`. Nil when every
    /// upstream cell ran or was restored.
    public static func blocked(by upstream: [(id: String, status: RunReport.Status)]) -> (RunReport.Status, String)? {
        let unfinished = upstream.filter { $0.status != .ran && $0.status != .cached }
        if let stale = unfinished.first(where: { $0.status == .stale }) { return (.stale, "upstream \(stale.id) will rerun") }
        guard let first = unfinished.first else { return nil }
        return (.skipped, "upstream \(first.id) \(first.status == .failed ? "failed" : "did not run")")
    }

    /// Restore the stored result for the cell's key, or run it, and why.
    public static func decide(_ facts: StepFacts) -> StepDecision {
        if facts.forced { return .run(["forced"]) }
        if !facts.cacheable { return .run(["cache: false (always runs)"]) }
        if let stored = facts.stored { return .restore(stored, cutoff: facts.reranUpstream.first) }
        if !facts.damage.isEmpty { return .run(facts.damage) }
        guard facts.previous != nil else { return .run(["never ran"]) }
        let changes = facts.changes()
        return .run(changes.isEmpty ? ["cached result missing"] : changes)
    }
}
