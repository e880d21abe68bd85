import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookReport
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
            var table = try Self.load(location: location, notebook: notebook, sweep: sweep).table
            if let sort {
                do { table.sort(by: try table.metricName(sort)) } catch { throw Terminal.usage("--sort \(sort): \(error)") }
            }
            print(json ? Self.json(table) : csv ? Self.csv(table) : md ? Self.markdown(table) : Self.text(table), terminator: "")
        }

        /// The runs of `notebook` (a name or a path; all when nil) in `sweep` (all when nil), as a table,
        /// and each run with its notebook's name.
        static func load(location: Location, notebook: String?, sweep: String?) throws -> (table: RunTable, sources: [(String, RunReport)]) {
            let history = try location.history()
            let name = notebook.map { (($0 as NSString).lastPathComponent as NSString) }
                .map { $0.pathExtension == "yaml" || $0.pathExtension == "yml" ? $0.deletingPathExtension : $0 as String }
            var runs: [(String, RunReport)] = []
            for nb in history.notebooks where name == nil || nb == name {
                runs += history.runIDs(nb).compactMap { history.load(nb, $0) }.filter { sweep == nil || $0.sweep == sweep }.map { (nb, $0) }
            }
            guard !runs.isEmpty else {
                throw Terminal.usage("no runs" + (name.map { " of \($0)" } ?? "") + (sweep.map { " in sweep \($0)" } ?? "")
                                     + " in \(location.outputs.outputs); see 'splitbook runs list'")
            }
            return (RunTable(runs: runs.map(\.1), latestPerPoint: sweep != nil), runs)
        }

        static func cells(_ table: RunTable, _ row: RunTable.Row, mark: String) -> [String] {
            let best = table.best
            let index = table.rows.firstIndex { $0.runID == row.runID }
            return [row.runID, ISOTime.string(row.startedAt), row.status] + table.params.map { ComparisonPage.plain(row.params[$0]) }
                + table.metrics.map { metric in
                    guard let value = row.metrics[metric] else { return "" }
                    return ComparisonPage.number(value) + (best[metric] == index ? mark : "")
                }
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

extension RunsCommand {
    /// `splitbook runs report`: the table and a plot per (param, metric) as one HTML page.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Write an HTML page comparing runs: the table, and each metric plotted against each param.",
            discussion: """
            The page is one self-contained file (no script, no network reference); each mark of a
            plot is one run and links to that run's report when a sweep kept it.

            Example:
              splitbook runs report churn_model --sweep sw-1a2b3c4d5e -o sweep.html
            """)

        @Argument(help: "Only this notebook's runs (its name or path).")
        var notebook: String?
        @Option(help: "Only the runs of this sweep.")
        var sweep: String?
        @Option(name: .shortAndLong, help: "Where to write the page.")
        var output: String
        @OptionGroup var location: Location

        func run() throws {
            let table = try Table.load(location: location, notebook: notebook, sweep: sweep)
            let page = URL(fileURLWithPath: output).standardizedFileURL
            var reports: [String: String] = [:]
            for (notebook, run) in table.sources {
                let target = RunCommand.sweepReportURL(outputs: location.outputs.url, notebook: notebook, sweep: run.sweep ?? "", runID: run.runID)
                if run.sweep != nil, FileManager.default.fileExists(atPath: target.path) {
                    reports[run.runID] = Self.relative(target.standardizedFileURL, from: page.deletingLastPathComponent())
                }
            }
            let title = "Runs of " + (notebook ?? "every notebook") + (sweep.map { ", sweep \($0)" } ?? "")
            let html = ComparisonPage(table: table.table, title: title, reports: reports).html
            do {
                try AtomicFile.makeDirectory(page.deletingLastPathComponent().path)
                try AtomicFile.write(Data(html.utf8), to: page)
            } catch {
                throw Terminal.usage("cannot write \(output): \(error)")
            }
            print("wrote \(output): \(table.table.rows.count) runs, \(table.table.params.count * table.table.metrics.count) plots")
        }

        /// `target` as a path relative to `directory`.
        static func relative(_ target: URL, from directory: URL) -> String {
            let a = directory.pathComponents, b = target.pathComponents
            let common = zip(a, b).prefix { $0 == $1 }.count
            return (Array(repeating: "..", count: a.count - common) + b.dropFirst(common)).joined(separator: "/")
        }
    }
}
