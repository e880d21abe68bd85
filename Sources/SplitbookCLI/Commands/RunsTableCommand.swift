import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookSpec

extension RunsCommand {
    /// `splitbook runs table`: every run's params and metrics in one table.
    struct Table: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "table",
            abstract: "One row per run: the params that differ and every metric, the best of each marked.",
            discussion: """
            Metrics are named CELL.METRIC. Higher is better, except for metrics whose name says
            loss, error, mse, rmse, mae, latency, duration, seconds, _ms or time. With --sweep, each
            point's newest run is shown (a resumed sweep's points once).

            Example:
              splitbook runs table churn_model --sweep sw-1a2b3c4d5e --sort auc
              splitbook runs table --md > results.md
            """)

        @Argument(help: "Only this notebook's runs (its name, e.g. churn_model, or its path).")
        var notebook: String?
        @Option(help: "Only the runs of this sweep (the id `run --sweep` printed).")
        var sweep: String?
        @Option(help: "Sort by this metric, best first (CELL.METRIC, or METRIC when one cell has it).")
        var sort: String?
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Print CSV.") var csv = false
        @Flag(help: "Print a Markdown table.") var md = false
        @OptionGroup var location: Location

        func validate() throws {
            if [json, csv, md].filter({ $0 }).count > 1 { throw ValidationError("give at most one of --json, --csv, --md") }
        }

        func run() throws {
            let history = try location.history()
            let name = notebook.map { ($0 as NSString).lastPathComponent }.map { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") ? ($0 as NSString).deletingPathExtension : $0 }
            var runs: [RunReport] = []
            for nb in history.notebooks where name == nil || nb == name {
                runs += history.runIDs(nb).compactMap { history.load(nb, $0) }.filter { sweep == nil || $0.sweep == sweep }
            }
            guard !runs.isEmpty else {
                throw Terminal.usage("no runs" + (name.map { " of \($0)" } ?? "") + (sweep.map { " in sweep \($0)" } ?? "")
                                     + " in \(location.outputs.outputs); see 'splitbook runs list'")
            }
            var table = RunTable(runs: runs, latestPerPoint: sweep != nil)
            if let sort {
                do { table.sort(by: try table.metricName(sort)) } catch { throw Terminal.usage("--sort \(sort): \(error)") }
            }
            print(json ? Self.json(table) : csv ? Self.csv(table) : md ? Self.markdown(table) : Self.text(table), terminator: "")
        }

        static func cells(_ table: RunTable, _ row: RunTable.Row, mark: String) -> [String] {
            let best = table.best
            let index = table.rows.firstIndex { $0.runID == row.runID }
            return [row.runID, ISOTime.string(row.startedAt), row.status] + table.params.map { plain(row.params[$0]) }
                + table.metrics.map { metric in
                    guard let value = row.metrics[metric] else { return "" }
                    return Show.number(value) + (best[metric] == index ? mark : "")
                }
        }

        /// A param's value as a reader writes it: strings without their JSON quotes.
        static func plain(_ canonical: String?) -> String {
            guard let canonical else { return "" }
            if case .string(let s)? = JSONValue.parseJSON(Data(canonical.utf8)) { return s }
            return canonical
        }

        static func header(_ table: RunTable) -> [String] { ["run", "started", "status"] + table.params + table.metrics }

        static func text(_ table: RunTable) -> String {
            let lines = [header(table)] + table.rows.map { cells(table, $0, mark: " *") }
            let widths = lines[0].indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
            return lines.map { line in
                zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            }.joined(separator: "\n") + "\n* best of its column\n"
        }

        static func markdown(_ table: RunTable) -> String {
            func row(_ cells: [String]) -> String { "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
            let head = header(table)
            return ([row(head), row(head.map { _ in "---" })] + table.rows.map { row(cells(table, $0, mark: " **best**")) })
                .joined(separator: "\n") + "\n"
        }

        static func csv(_ table: RunTable) -> String {
            func field(_ s: String) -> String { s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
            let best = table.best
            let lines = [header(table) + ["best"]] + table.rows.enumerated().map { index, row in
                cells(table, row, mark: "") + [table.metrics.filter { best[$0] == index }.joined(separator: " ")]
            }
            return lines.map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
        }

        static func json(_ table: RunTable) -> String {
            let best = table.best
            let rows: [JSONValue] = table.rows.enumerated().map { index, row in
                .object(["run": .string(row.runID), "started": .string(ISOTime.string(row.startedAt)), "status": .string(row.status),
                         "params": .object(row.params.mapValues { JSONValue.parseJSON(Data($0.utf8)) ?? .string($0) }),
                         "metrics": .object(row.metrics.mapValues(JSONValue.double)),
                         "best": .array(table.metrics.filter { best[$0] == index }.map(JSONValue.string))])
            }
            return JSONValue.object(["params": .array(table.params.map(JSONValue.string)), "metrics": .array(table.metrics.map(JSONValue.string)),
                                     "rows": .array(rows)]).prettyJSON() + "\n"
        }
    }
}
