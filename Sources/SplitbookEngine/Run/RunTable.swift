import Foundation

/// Runs side by side, like `dvc exp show`: one row per run with the params
/// that differ between the rows and every metric (`cell.metric`), and the
/// best row of each metric marked.
public struct RunTable: Sendable {
    public struct Row: Sendable {
        public var runID: String
        public var startedAt: Date
        /// `ok`, or `failed` when a cell failed.
        public var status: String
        /// Every param, as canonical JSON text.
        public var params: [String: String]
        public var metrics: [String: Double]
    }

    public private(set) var rows: [Row]
    /// The params whose values differ between rows, sorted.
    public let params: [String]
    /// Every metric any row has, sorted.
    public let metrics: [String]

    /// The table of `runs`, oldest first; with `latestPerPoint`, only the
    /// newest run of each distinct set of params (a resumed sweep's points once).
    public init(runs: [RunReport], latestPerPoint: Bool = false) {
        var chosen = runs.sorted { $0.runID < $1.runID }
        if latestPerPoint {
            var newest: [String: RunReport] = [:]
            for run in chosen { newest[Self.pointKey(run.params)] = run }
            chosen = chosen.filter { newest[Self.pointKey($0.params)]?.runID == $0.runID }
        }
        let rows = chosen.map { run in
            var metrics: [String: Double] = [:]
            for cell in run.cells { for (name, value) in cell.metrics { metrics["\(cell.id).\(name)"] = value } }
            return Row(runID: run.runID, startedAt: run.startedAt, status: run.failed ? "failed" : "ok", params: run.params, metrics: metrics)
        }
        self.rows = rows
        params = Set(rows.flatMap(\.params.keys)).filter { name in Set(rows.map { $0.params[name] ?? "" }).count > 1 }.sorted()
        metrics = Set(rows.flatMap(\.metrics.keys)).sorted()
    }

    private static func pointKey(_ params: [String: String]) -> String {
        params.keys.sorted().map { "\($0)=\(params[$0]!)" }.joined(separator: "\u{1F}")
    }

    /// Whether smaller values of a metric are better (losses, errors, latencies, durations).
    public static func lowerIsBetter(_ metric: String) -> Bool {
        let name = metric.lowercased()
        return ["loss", "error", "mse", "rmse", "mae", "latency", "duration", "seconds", "_ms", "time"].contains { name.contains($0) }
    }

    /// The index of the best row of each metric (rows of failed runs do not
    /// compete; a metric every row has the same value of has no best).
    public var best: [String: Int] {
        var best: [String: Int] = [:]
        for metric in metrics {
            let lower = Self.lowerIsBetter(metric)
            let candidates = rows.indices.filter { rows[$0].status == "ok" && rows[$0].metrics[metric] != nil }
            guard Set(candidates.map { rows[$0].metrics[metric]! }).count > 1 else { continue }
            best[metric] = candidates.min { a, b in
                let x = rows[a].metrics[metric]!, y = rows[b].metrics[metric]!
                return lower ? x < y : x > y
            }
        }
        return best
    }

    public struct UnknownMetric: Error, CustomStringConvertible {
        public let description: String
    }

    /// The full name of `metric` (`auc` finds `evaluate.auc` when only one cell has it).
    public func metricName(_ metric: String) throws(UnknownMetric) -> String {
        if metrics.contains(metric) { return metric }
        let matches = metrics.filter { $0.hasSuffix("." + metric) }
        guard matches.count == 1 else {
            throw UnknownMetric(description: matches.isEmpty
                ? "no metric '\(metric)' (metrics: \(metrics.joined(separator: ", ")))"
                : "'\(metric)' is ambiguous: \(matches.joined(separator: ", "))")
        }
        return matches[0]
    }

    /// Best first by `metric`; rows without it last.
    public mutating func sort(by metric: String) {
        let lower = Self.lowerIsBetter(metric)
        rows.sort { a, b in
            switch (a.metrics[metric], b.metrics[metric]) {
            case (let x?, let y?): return lower ? x < y : x > y
            case (.some, nil): return true
            default: return false
            }
        }
    }
}
