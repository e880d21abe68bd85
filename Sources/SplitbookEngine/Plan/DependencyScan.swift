import Foundation
import SplitbookSpec

/// The reading half of planning (ninja's `DependencyScan`): for a ready
/// cell, computes its job and step key (`KeyBuilder` hashes its inputs and
/// resolves its interpreter and artifacts), finds its last result, and finds
/// a stored result for the key with every object checked. What it returns is
/// all `StepPlanner` needs. With `repair` (a run, not `status`), damaged
/// objects it finds are moved aside so the cell that made them reruns.
struct DependencyScan {
    let graph: CellGraph
    let keys: KeyBuilder
    let workspace: Workspace
    /// The notebook's state as the run found it.
    let state: NotebookState
    let repair: Bool

    /// An offline cell's job and facts, given the outputs of the cells before it.
    func cell(_ node: Int, upstream: [Int: [String: StoredItem]], runID: String, forced: Bool,
              reranUpstream: [String]) throws -> (CellJob, StepFacts) {
        let cell = graph.cells[node]
        let job = try keys.job(for: node, upstream: upstream, runID: runID)
        let id = cell.id.value
        let previous = state.cells[id.rawValue]
        var facts = StepFacts(key: job.key.digest, previous: previous, stored: nil, forced: forced, cacheable: cell.cache,
                              reranUpstream: reranUpstream)
        if !forced, cell.cache {
            (facts.stored, facts.damage) = stored(id, key: facts.key, previous: previous, outputs: Set(cell.outputs.map(\.value.rawValue)))
        }
        let (workspace, graph, now, lists) = (self.workspace, self.graph, job.key, keys.packageLists)
        facts.changes = {
            guard let previous, let old = workspace.entry(previous.key) else { return [] }
            return now.differences(from: old.components, upstreamOf: { path in
                graph.producers[RelativePath(normalized: path)].map { graph.cells[$0].id.value.rawValue }
            }, packageLists: lists.load)
        }
        return (job, facts)
    }

    /// An endpoint's chain of jobs (head first), its parity check, and the facts of its sample results.
    func endpoint(_ node: Int, upstream: [Int: [String: StoredItem]], runID: String,
                  forced: Bool) throws -> ([CellJob], ParityCheck?, StepFacts) {
        let cell = graph.cells[node]
        let jobs = try graph.chain(endingAt: node).map { try keys.job(for: $0, upstream: upstream, runID: runID) }
        let parity = try cell.parity.map { try keys.parityRows($0, of: cell, upstream: upstream) }
        let key = StepKey.endpoint(chain: jobs.map(\.key), samples: cell.samples ?? [], repetitions: SampleRunner.repetitions,
                                   parity: parity.map { ($0.digest, $0.spec) })
        let previous = state.cells[cell.id.value.rawValue]
        var facts = StepFacts(key: key, previous: previous, stored: nil, forced: forced)
        if !forced { (facts.stored, facts.damage) = stored(cell.id.value, key: key, previous: previous, outputs: []) }
        facts.changes = { ["the chain's code, params, inputs, artifacts, samples or parity rows changed"] }
        return (jobs, parity?.check, facts)
    }

    /// The result stored for `key` if it holds exactly the declared
    /// `outputs` and all its objects are intact: the state's record when its
    /// key matches (no file read), else or when that record is damaged, the
    /// cache entry's. Otherwise what is damaged.
    private func stored(_ id: CellID, key: Digest, previous: NotebookState.Cell?, outputs: Set<String>) -> (NotebookState.Cell?, [String]) {
        var damage: [(object: ObjectProblem, holding: String)] = []
        if let previous, previous.key == key, Set(previous.outputs.keys) == outputs {
            damage = workspace.damage(in: previous)
            if damage.isEmpty { return (previous, []) }
        }
        if let entry = workspace.entry(key).map(NotebookState.Cell.init), Set(entry.outputs.keys) == outputs {
            let problems = workspace.damage(in: entry)
            if problems.isEmpty { return (entry, []) }
            damage = problems
        }
        var said: [String] = []
        for (object, holding) in damage {
            if repair, object.state == .damaged { workspace.store.quarantine(object.digest) }
            said.append("object for cell \(id), \(holding), was \(object.state); rerunning \(id)")
        }
        return (nil, said)
    }
}
