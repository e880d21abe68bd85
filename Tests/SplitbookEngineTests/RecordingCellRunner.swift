import Foundation
import SplitbookSpec
@testable import SplitbookEngine

/// A `CellRunner` that runs no process: a cell's code is a tiny program,
/// one word and an argument, and the runner computes its outputs in
/// process, stores them, and records the order and overlap of executions.
///
///     emit SALT        every output holds SALT, the cell's visible params and its inputs' digests
///     fail             the cell fails
///
/// Anything after `#` is a comment: it changes the cell's code (its key)
/// but not what it writes, which is how tests make "reran with identical
/// output". With a `rendezvous`, each of its cells waits (up to its
/// timeout) until that many executions run at once or every cell of it has
/// started, so a test can show how many the builder runs in parallel
/// without depending on timing.
final class RecordingCellRunner: CellRunner, @unchecked Sendable {
    /// The run's workspace, where outputs are stored (set when the run starts).
    var workspace: Workspace?
    private let lock = NSCondition()
    private var runningNow = 0
    private(set) var maxRunning = 0
    /// Cell ids in the order their executions started, and finished.
    private(set) var started: [String] = []
    private(set) var finished: [String] = []
    var rendezvous: Rendezvous?

    /// Cells that wait for each other.
    struct Rendezvous {
        var cells: Set<String>
        var count: Int
        var timeout: Double
    }

    func run(_ job: CellJob) -> CellOutcome {
        let id = job.cell.id.value.rawValue
        enter(id)
        defer { leave(id) }
        let program = Self.program(job.cell)
        guard program.hasPrefix("emit ") else {
            return .failed(CellFailure(message: "cell '\(id)' failed", stdout: nil, stderr: nil, duration: 0, warnings: [], keptDirectory: nil))
        }
        let inputs = job.key.inputs.keys.sorted().map { "\($0)=\(job.key.inputs[$0]!.hex)" }
        let params = job.key.params.keys.sorted().map { "\($0)=\(job.key.params[$0]!)" }
        let content = Data((program + "\n" + params.joined(separator: ",") + "\n" + inputs.joined(separator: ",") + "\n").utf8)
        do {
            let workspace = self.workspace!
            var outputs: [String: StoredItem] = [:]
            for output in job.cell.outputs {
                let digest = try workspace.store.putData(content)
                outputs[output.value.rawValue] = StoredItem(kind: .file, digest: digest, executable: false, size: Int64(content.count))
            }
            let empty = try workspace.store.putData(Data())
            return .succeeded(CacheEntry(key: job.key.digest, notebook: job.notebook, cell: id, components: job.key, outputs: outputs,
                                         stdout: empty, stderr: empty, display: [], metrics: [:], warnings: [], duration: 0.001,
                                         runID: job.runID, createdAt: Date()))
        } catch {
            return .failed(CellFailure(message: "\(error)", stdout: nil, stderr: nil, duration: 0, warnings: [], keptDirectory: nil))
        }
    }

    func runSamples(chain: [CellJob], samples: [JSONValue], parity: ParityCheck?, key: Digest) -> CellOutcome {
        .failed(CellFailure(message: "the recording runner serves no endpoint", stdout: nil, stderr: nil, duration: 0, warnings: [],
                            keptDirectory: nil))
    }

    /// The code without its comment.
    static func program(_ cell: CodeCell) -> String {
        guard case .inline(let code) = cell.source else { return "" }
        return code.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }

    private func enter(_ id: String) {
        lock.lock()
        started.append(id)
        runningNow += 1
        maxRunning = max(maxRunning, runningNow)
        lock.broadcast()
        if let rendezvous, rendezvous.cells.contains(id) {
            // Wait for the others, unless every cell of the rendezvous has started (then none is coming).
            let deadline = Date().addingTimeInterval(rendezvous.timeout)
            while maxRunning < rendezvous.count, !rendezvous.cells.isSubset(of: started), lock.wait(until: deadline) {}
        }
        lock.unlock()
    }

    private func leave(_ id: String) {
        lock.lock()
        runningNow -= 1
        finished.append(id)
        lock.unlock()
    }
}

extension NotebookRunner {
    /// A runner over `path` whose cells run in `recorder`.
    static func recording(_ path: String, options: RunOptions) throws -> (NotebookRunner, RecordingCellRunner) {
        let recorder = RecordingCellRunner()
        let runner = NotebookRunner(file: try NotebookFile(path: path), options: options)
        runner.makeRunner = { executor, _ in
            recorder.workspace = executor.workspace
            return recorder
        }
        return (runner, recorder)
    }
}
