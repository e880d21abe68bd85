import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookSpec

/// `splitbook lock NB`: resolve the notebook's `python:` blocks to exact pins.
struct LockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Resolve the notebook's Python requirements to exact pins in NAME.lock (commit it).",
        discussion: """
        Each distinct `python:` block (the notebook's, and any cell's own) is resolved once, by
        installing it into a fresh environment with uv (when it is on PATH) or venv and pip; the
        environment is kept in the cache for the cells to run in. Blocks whose requirements did not
        change keep their pins unless --upgrade. `run` does the same when the requirements changed;
        `run --locked` refuses instead. The installers read their usual settings from the
        environment (PIP_INDEX_URL, UV_INDEX_URL, PIP_FIND_LINKS, ...); SPLITBOOK_INSTALLER=pip or uv
        chooses one.

        Example:
          splitbook lock notebooks/churn_model.yaml
          splitbook lock notebooks/churn_model.yaml --upgrade
          splitbook lock bundle/notebook.yaml --locked --build     # in an image build
        """
    )

    @Argument(help: "The notebook file.")
    var notebook: String

    @Flag(help: "Resolve every block again, taking the newest versions the requirements allow.")
    var upgrade = false

    @Flag(help: "Fail (exit 2) instead of resolving when the lock does not cover the requirements.")
    var locked = false

    @Flag(help: "Also build every locked environment now (an image build does this, so the service starts offline).")
    var build = false

    func validate() throws {
        if upgrade && locked { throw ValidationError("--upgrade and --locked contradict each other") }
    }

    @OptionGroup var locations: Locations

    func run() throws {
        let file = try locations.loadValid(notebook)
        guard let notebook = file.check.notebook else { throw invalidInput }
        let workspace = try Workspace(root: locations.outputsURL)
        let environment = ProcessInfo.processInfo.environment
        let interpreters = InterpreterResolver(hasher: workspace.hasher, environment: environment, memoURL: workspace.interpretersURL)
        let store = EnvironmentStore(workspace: workspace, environment: environment)
        let printer = RunPrinter(json: false, verbose: false, outputs: locations.outputsURL)
        store.progress = { printer.environmentProgress($0) }
        let environments = try Terminal.reportingEnvironmentErrors {
            try NotebookEnvironments.prepare(file, notebook: notebook, interpreters: interpreters, store: store,
                                             mode: upgrade ? .upgrade : locked ? .locked : .refresh)
        }
        try? interpreters.save()
        if build {
            for assignment in environments.cells.values {
                guard let lockedEnvironment = assignment.locked else { continue }
                do {
                    _ = try store.ensure(lockedEnvironment, base: assignment.base)
                } catch {
                    throw Terminal.usage("cannot build the environment of \(environments.lockPath): \(error)")
                }
            }
        }
        let path = environments.lockPath
        if environments.cells.isEmpty {
            print("\(file.source.path) has no Python cells with a `python:` block; nothing to lock")
        } else if environments.changes.isEmpty {
            print("\(path) is up to date")
        } else {
            print("wrote \(path):")
            for change in environments.changes { print("  \(change)") }
        }
    }
}
