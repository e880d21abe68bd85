import Foundation
import SplitbookSpec

/// Runs an online endpoint's samples in a notebook run (CONTRACT §5): starts
/// every cell of its chain (head first), sends each sample through the chain
/// (each cell's response is the next cell's request), once to warm up and
/// then `repetitions` times to measure latency, and records request, response
/// and p50/p95 per sample; then replays its parity rows, if any (a skew fails
/// the endpoint). The result is cached like any cell's.
struct SampleRunner {
    static let repetitions = 5

    let executor: CellExecutor

    /// The chain's jobs, head first and the endpoint last.
    func run(chain: [CellJob], samples: [JSONValue], parity: ParityCheck?, key: Digest, source: SourceText?) -> CellOutcome {
        let start = Date()
        let endpoint = chain.last!
        let id = endpoint.cell.id.value
        let stderrPath = executor.workspace.store.scratchPath("online-\(id)-stderr")
        defer { executor.workspace.store.removeItem(stderrPath) }
        func fail(_ message: String, details: String = "") -> CellOutcome {
            let printed = FileManager.default.contents(atPath: stderrPath) ?? Data()
            let stderr = try? executor.workspace.store.putData(printed + Data(details.utf8))
            return .failed(CellFailure(message: message, stdout: nil, stderr: stderr, duration: Date().timeIntervalSince(start),
                                       warnings: [], keptDirectory: nil))
        }
        let running: OnlineChain
        do {
            running = try OnlineChain(jobs: chain, executor: executor, stderrPath: stderrPath)
        } catch {
            return fail("\(error)")
        }
        defer { running.stop() }

        var results: [JSONValue] = []
        var all: [Double] = []
        for (n, sample) in samples.enumerated() {
            var timings: [Double] = []
            var response: JSONValue = .null
            for attempt in 0...Self.repetitions {
                let began = DispatchTime.now().uptimeNanoseconds
                switch running.call(sample) {
                case .success(let value): response = value
                case .failure(let error): return fail("sample \(n + 1) of '\(id)' failed \(error)")
                }
                let ms = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6
                if attempt > 0 { timings.append(ms) }  // the first call warms up
            }
            all += timings
            results.append(.object(["request": sample, "response": response,
                                    "latencyMs": .object(["p50": .double(Self.percentile(timings, 0.5)),
                                                          "p95": .double(Self.percentile(timings, 0.95))])]))
        }
        let p95 = Self.percentile(all, 0.95)
        var metrics = ["latency_p50_ms": Self.percentile(all, 0.5), "latency_p95_ms": p95]
        var fields: [String: JSONValue] = [
            "endpoint": .string(id.rawValue),
            "chain": .array(chain.map { .string($0.cell.id.value.rawValue) }),
            "repetitions": .int(Self.repetitions),
            "samples": .array(results),
            "latencyMs": .object(["p50": .double(Self.percentile(all, 0.5)), "p95": .double(p95)]),
        ]
        if let parity {
            let began = Date()
            let outcome = parity.run { running.call($0).mapError { $0 as any Error } }
            let summary = parity.describe(outcome)
            guard outcome.passed else {
                return fail(outcome.broken.map { "parity rows cannot be checked: \($0)" }
                                ?? "parity failed: the online half answers \(outcome.differing) of \(outcome.rows) offline rows differently "
                                + "(train/serving skew); the first differing rows follow", details: summary + "\n")
            }
            metrics["parity_rows"] = Double(outcome.rows)
            metrics["parity_worst_difference"] = outcome.worst
            fields["parity"] = .object(["rowsDigest": parity.rowsDigest.map { .string($0.hex) } ?? .null,
                                        "rows": .int(outcome.rows), "differing": .int(0), "worstDifference": .double(outcome.worst),
                                        "seconds": .double(Date().timeIntervalSince(began))])
        }
        let document = JSONValue.object(fields)
        var warnings: [String] = []
        let budget = endpoint.cell.latencyBudgetMs ?? endpoint.notebookBudgetMs ?? Notebook.defaultLatencyBudgetMs
        if !all.isEmpty, p95 > budget {
            let diagnostic = Diagnostic.latencyOverBudget(cell: id, p95Ms: p95, budgetMs: budget, at: endpoint.cell.id.range)
            warnings.append(source.map { DiagnosticRenderer(source: $0).render(diagnostic) } ?? diagnostic.message)
        }
        do {
            let samplesDigest = try executor.workspace.store.putData(Data(document.prettyJSON().utf8))
            let stderr = try executor.workspace.store.putData(FileManager.default.contents(atPath: stderrPath) ?? Data())
            return .succeeded(CacheEntry(key: key, notebook: endpoint.notebook, cell: id.rawValue, components: endpoint.key, outputs: [:],
                                         stdout: try executor.workspace.store.putData(Data()), stderr: stderr, display: [],
                                         metrics: metrics,
                                         warnings: warnings, duration: Date().timeIntervalSince(start), runID: endpoint.runID,
                                         createdAt: Date(), samples: samplesDigest))
        } catch {
            return fail("cannot store the results of '\(id)': \(error)")
        }
    }

    /// Nearest-rank percentile of `values` (0 when empty).
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
