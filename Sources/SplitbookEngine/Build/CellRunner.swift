import Foundation
import SplitbookSpec

/// Executes what the plan decided to run (ninja's `CommandRunner`). Called
/// from worker threads, several at once up to `--jobs`.
public protocol CellRunner: Sendable {
    /// Runs an offline cell; a success carries the result, already in the store.
    func run(_ job: CellJob) -> CellOutcome
    /// Sends an endpoint's samples through its chain (head first), then its
    /// parity rows if it has any; a success carries the results under `key`.
    func runSamples(chain: [CellJob], samples: [JSONValue], parity: ParityCheck?, key: Digest) -> CellOutcome
}

/// The real runner: each cell a hermetic process (`CellExecutor`), each
/// endpoint's chain a set of workers (`SampleRunner`).
public struct ProcessCellRunner: CellRunner {
    public let executor: CellExecutor
    /// The notebook's text, to render diagnostics (latency over budget) against.
    public let source: SourceText

    public init(executor: CellExecutor, source: SourceText) {
        self.executor = executor
        self.source = source
    }

    public func run(_ job: CellJob) -> CellOutcome { executor.run(job) }

    public func runSamples(chain: [CellJob], samples: [JSONValue], parity: ParityCheck?, key: Digest) -> CellOutcome {
        SampleRunner(executor: executor).run(chain: chain, samples: samples, parity: parity, key: key, source: source)
    }
}
