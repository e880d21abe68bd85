import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookSpec

/// `splitbook check NB...`: the static check, compiler style.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check notebooks for errors without running anything.",
        discussion: """
        Reports every problem in each notebook as `file:line:col: error: ...` with the source line,
        a caret and notes, including the offline/online split rules, and warns about Python imports
        that neither the standard library, the lock nor the cell's inputs provide (they would break
        in the exported job). Warnings do not fail the check.
        Exits 0 when no notebook has errors, 2 otherwise.

        Example:
          splitbook check notebooks/*.yaml
        """
    )

    @Argument(help: "Notebook files to check.")
    var notebooks: [String]

    @OptionGroup var locations: Locations

    func run() throws {
        var failed = false
        let registry = locations.artifactRegistry
        for path in notebooks {
            let file: NotebookFile
            do {
                file = try NotebookFile(path: path, registryHas: { registry.has($0) })
            } catch {
                Terminal.error("\(error)")
                failed = true
                continue
            }
            Terminal.error(file.renderedDiagnostics, newline: false)
            if file.check.hasErrors {
                failed = true
            } else if let notebook = file.check.notebook {
                let imports = ImportCheck.warnings(file)
                for (source, diagnostics) in imports { Terminal.error(DiagnosticRenderer(source: source).render(diagnostics), newline: false) }
                let cells = notebook.codeCells
                let online = cells.filter { $0.stage == .online }.count
                let warnings = file.check.diagnostics.count + imports.map(\.diagnostics.count).reduce(0, +)
                print("\(path): ok: \(cells.count) code cells (\(cells.count - online) offline, \(online) online)"
                      + (warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : ""))
            }
        }
        if failed { throw invalidInput }
    }
}
