import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookReport

/// `splitbook runs list|show|compare`: the run history.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Browse the run history: what each run did, per cell, how two runs differ, all runs in a table.",
        discussion: """
        Example:
          splitbook runs list
          splitbook runs show 20261125-0930
          splitbook runs compare 20261125-0930 20261125-1012
          splitbook runs table churn_model --sort auc
        """,
        subcommands: [List.self, Show.self, Compare.self, Table.self, Report.self]
    )

    struct Location: ParsableArguments {
        @OptionGroup var outputs: OutputsOption

        func history() throws -> RunHistory {
            RunHistory(workspace: try outputs.workspace())
        }

        func find(_ id: String) throws -> RunReport {
            guard let report = try history().find(id) else {
                throw Terminal.usage("no run '\(id)' (or more than one starts so) in \(outputs.outputs); see 'splitbook runs list'")
            }
            return report
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List runs, newest last.",
            discussion: "Example:\n  splitbook runs list --notebook intro")
        @Option(help: "Only this notebook's runs (its name, e.g. intro).")
        var notebook: String?
        @OptionGroup var location: Location

        func run() throws {
            let history = try location.history()
            for name in history.notebooks where notebook == nil || notebook == name {
                for id in history.runIDs(name) {
                    guard let r = history.load(name, id) else { continue }
                    let counts = "\(r.count(.ran)) ran, \(r.count(.cached)) cached, \(r.count(.failed)) failed, \(r.count(.skipped)) skipped"
                    print("\(id)  \(name.padding(toLength: 20, withPad: " ", startingAt: 0))  \(counts)  \(String(format: "%.2f s", r.duration))")
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show one run: each cell's status, cache hit, duration and metrics.",
            discussion: "Example:\n  splitbook runs show 20261125-0930")
        @Argument(help: "A run id, or a unique prefix of one.")
        var id: String
        @Flag(help: "Print the run record as JSON.")
        var json = false
        @OptionGroup var location: Location

        func run() throws {
            let r = try location.find(id)
            if json { return print(Terminal.json(r)) }
            print("run \(r.runID) of \(r.notebookPath), \(String(format: "%.2f s", r.duration))")
            if !r.params.isEmpty { print("params: " + r.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
            let width = r.cells.map(\.id.count).max() ?? 0
            for cell in r.cells {
                var line = "  " + RunPrinter.statusColumn(cell.status.rawValue) + cell.id.padding(toLength: width, withPad: " ", startingAt: 0)
                if cell.status == .ran || cell.status == .failed { line += String(format: "  %.2f s", cell.duration) }
                if cell.status == .cached { line += String(format: "  (saved %.2f s)", cell.saved) }
                if !cell.metrics.isEmpty { line += "  " + cell.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.number($0.value))" }.joined(separator: " ") }
                print(line)
            }
        }

        static func number(_ value: Double) -> String { ComparisonPage.number(value) }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compare", abstract: "Compare two runs cell by cell: status, key changes, metric deltas.",
            discussion: "Example:\n  splitbook runs compare 20261125-0930 20261125-1012")
        @Argument(help: "The earlier run.") var a: String
        @Argument(help: "The later run.") var b: String
        @OptionGroup var location: Location

        func run() throws {
            let ra = try location.find(a), rb = try location.find(b)
            print("\(ra.runID) -> \(rb.runID)")
            let params = Set(ra.params.keys).union(rb.params.keys).sorted().filter { ra.params[$0] != rb.params[$0] }
            for name in params { print("param \(name): \(ra.params[name] ?? "-") -> \(rb.params[name] ?? "-")") }
            let ids = rb.cells.map(\.id) + ra.cells.map(\.id).filter { id in !rb.cells.contains { $0.id == id } }
            for id in ids {
                let ca = ra.cells.first { $0.id == id }, cb = rb.cells.first { $0.id == id }
                var line = "  \(id): \(ca?.status.rawValue ?? "-") -> \(cb?.status.rawValue ?? "-")"
                line += ca?.key == cb?.key ? ", same key" : ", key changed"
                let names = Set(ca?.metrics.keys.map { $0 } ?? []).union(cb?.metrics.keys.map { $0 } ?? []).sorted()
                for name in names {
                    let x = ca?.metrics[name], y = cb?.metrics[name]
                    if let x, let y {
                        line += String(format: ", %@ %@ -> %@ (%+.4g)", name, Show.number(x), Show.number(y), y - x)
                    } else {
                        line += ", \(name) \(x.map(Show.number) ?? "-") -> \(y.map(Show.number) ?? "-")"
                    }
                }
                print(line)
            }
        }
    }
}
