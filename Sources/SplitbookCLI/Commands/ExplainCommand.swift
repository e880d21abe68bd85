import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookSpec

/// `splitbook explain NB CELL`: the step key, field by field, against the last cached run.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a cell's cache key: each component, and what changed since its last cached run.",
        discussion: """
        Example:
          splitbook explain notebooks/intro.yaml powers
          splitbook explain notebooks/intro.yaml powers -p exponent=3
        """
    )

    @Argument(help: "The notebook file.")
    var notebook: String

    @Argument(help: "The cell id.")
    var cell: String

    @OptionGroup var location: CacheLocation

    func run() throws {
        let file = try location.locations.loadValid(notebook)
        guard let graph = file.check.graph, let node = graph.node(CellID(cell)) else {
            let ids = file.check.graph?.index.keys.map(\.rawValue) ?? []
            throw Terminal.usage("no cell '\(cell)' in \(notebook)" + (Suggestion.closest(to: cell, in: ids).map { " (did you mean '\($0)'?)" } ?? ""))
        }
        let options = try location.runOptions()
        let plan: (report: RunReport, keys: [String: StepKey])
        do {
            plan = try Terminal.reportingEnvironmentErrors { try NotebookRunner(file: file, options: options).plan() }
        } catch let error as RunUsageError {
            throw Terminal.usage(error.description)
        }
        let result = plan.report.cells.first { $0.id == cell }
        print("cell '\(cell)' (\(graph.cells[node].stage.rawValue)): \(result?.status.rawValue ?? "unknown")")
        if let result, !result.reasons.isEmpty { print("  " + result.reasons.joined(separator: "; ")) }
        guard let key = plan.keys[cell] else {
            print("its key cannot be computed until its upstream has run")
            return
        }
        let workspace = try Workspace(root: options.outputs)
        let state = NotebookState.load(from: workspace.stateURL(file.check.notebook!.name))
        let last = state.cells[cell].flatMap { workspace.entry($0.key) }
        print("key now:  \(key.digest.hex)")
        if let last {
            print("last run: \(last.key.hex) (run \(last.runID), \(String(format: "%.2f", last.duration)) s)")
        } else {
            print("last run: none cached")
        }
        print("")
        let now = key.json, before = last?.components.json
        guard case .object(let fields) = now else { return }
        for name in fields.keys.sorted() {
            let value = fields[name]!
            let old: JSONValue? = { if case .object(let o)? = before { return o[name] } else { return nil } }()
            let mark = old == nil ? " " : (old == value ? "=" : "*")
            print("\(mark) \(name): \(Self.describe(value))")
            if let old, old != value { print("    was: \(Self.describe(old))") }
        }
        if let last {
            let changes = key.differences(from: last.components, packageLists: PackageLists(workspace: workspace).load)
            print("")
            print(changes.isEmpty ? "unchanged since the last run: a cache hit" : "changed: " + changes.joined(separator: "; "))
        }
    }

    static func describe(_ value: JSONValue) -> String {
        let text = value.canonicalJSON
        return text.count > 200 ? String(text.prefix(200)) + "..." : text
    }
}
