import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookSpec

/// `splitbook run NB`: run the notebook's cells as cached steps.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a notebook: each offline cell as a cached, hermetic step.",
        discussion: """
        A cell runs when its step key (code, params it uses, inputs, upstream outputs, interpreter, env)
        has no cached result; otherwise its outputs are restored without running it. Changing a cell
        reruns it and what depends on it; changing it back is a cache hit. Exit status: 0 all cells
        ran or were cached, 1 a cell failed, 2 invalid notebook or usage.

        Example:
          splitbook run notebooks/intro.yaml
          splitbook run notebooks/intro.yaml -p n=50 --jobs 4
          splitbook run notebooks/intro.yaml --force powers
          splitbook run notebooks/intro.yaml --only summary --json
          splitbook run notebooks/churn_model.yaml --sweep C=0.01,0.1,1 --sweep seed=range(1,4)
        """
    )

    @Argument(help: "The notebook file.")
    var notebook: String

    @Option(name: .customShort("p"), help: ArgumentHelp("Override a param; the value is read as YAML.", valueName: "name=value"))
    var params: [String] = []

    @Flag(name: .customLong("force-all"), help: .hidden)
    var forceAll = false

    @Option(name: .customLong("force-cell"), help: .hidden)
    var forceCell: String?

    @Option(help: ArgumentHelp("Run only this cell and its upstream.", valueName: "cell"))
    var only: String?

    @Option(help: "How many cells may run at once (default: the number of cores).")
    var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Flag(help: "Print the run as JSON on stdout instead of progress lines.")
    var json = false

    @Flag(help: "Show why each cell runs and what it printed.")
    var verbose = false

    @Flag(help: "Fail (exit 2) when NAME.lock does not cover the notebook's Python requirements, instead of updating it (for CI).")
    var locked = false

    @Option(help: ArgumentHelp("Sweep a param over values (read as YAML): each point of the grid is a run of its own, sharing the cache. "
                               + "Repeat for a grid.", valueName: "name=v1,v2,...|name=range(a,b,step)"))
    var sweep: [String] = []

    @OptionGroup var locations: Locations

    /// `--force` takes an optional cell: ArgumentParser has no optional-value
    /// options, so `Splitbook.runAndExit` rewrites `--force [CELL]` into these
    /// hidden spellings before parsing.
    static let forceHelp = "  --force [<cell>]        Rerun every cell, or just <cell>, ignoring the cache.\n"

    /// The no-op fast path: when nothing the last all-cached run depended on
    /// has changed, replay it without loading the notebook (see `NoopStamp`).
    static func replayIfUnchanged(notebook: String, context: String, outputs: URL, started: Date, json: Bool,
                                  verbose: Bool) throws -> Bool {
        guard FileIdentity.of(outputs.path) != nil else { return false }
        let workspace = try Workspace(root: outputs)
        let lock = try workspace.lock { Terminal.error("waiting for another splitbook run (\($0)) to finish with this outputs directory...") }
        defer { withExtendedLifetime(lock) {} }
        let name = NotebookLoader.stem(of: notebook)
        guard let replay = NoopStamp.replay(workspace: workspace, notebook: name, context: context) else { return false }
        let duration = Date().timeIntervalSince(started)
        let (runID, record) = try NoopStamp.saveRecord(workspace: workspace, notebook: name, template: replay.recordTemplate,
                                                       duration: duration)
        RunPrinter.replay(replay, runID: runID, notebookPath: notebook, record: record, duration: duration,
                          reportPath: workspace.reportURL(name).path, json: json, verbose: verbose)
        return true
    }

    /// `splitbook run NB` with at most --json, --verbose and --jobs N: tries the
    /// replay before ArgumentParser, whose reflection costs milliseconds at
    /// every start; anything else (or a stale stamp) takes the normal path.
    static func quickReplay(_ arguments: [String]) -> Bool {
        guard arguments.count >= 2, arguments[0] == "run", arguments[1].hasSuffix(".yaml") || arguments[1].hasSuffix(".yml") else {
            return false
        }
        var json = false, verbose = false
        var rest = arguments.dropFirst(2)
        while let flag = rest.popFirst() {
            switch flag {
            case "--json": json = true
            case "--verbose": verbose = true
            case "--jobs": guard let n = rest.popFirst(), Int(n).map({ $0 >= 1 }) == true else { return false }
            default: return false
            }
        }
        let started = Date()
        let environment = NoopStamp.steeringEnvironment()
        let outputs = URL(fileURLWithPath: "outputs")
        let registry = ArtifactRegistry.location(flag: nil, outputs: outputs, environment: environment)
        let context = NoopStamp.context(params: JSONValue.object([:]).canonicalJSON, only: nil, registry: registry.path,
                                        environment: environment)
        return (try? replayIfUnchanged(notebook: arguments[1], context: context, outputs: outputs, started: started, json: json,
                                       verbose: verbose)) == true
    }

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let started = Date()
        var options = locations.runOptions()
        options.params = try Terminal.parseParams(params)
        let name = NotebookLoader.stem(of: notebook)
        let context = NoopStamp.context(params: JSONValue.object(options.params).canonicalJSON, only: only,
                                        registry: options.registry.path, environment: ProcessInfo.processInfo.environment)
        options.only = only.map { CellID($0) }
        options.jobs = jobs
        options.locked = locked
        if forceAll { options.force = .all }
        if let forceCell { options.force = .cell(CellID(forceCell)) }
        if !sweep.isEmpty { return try runSweep(file: try locations.loadValid(notebook), options: options) }
        if options.force == .none,
           try Self.replayIfUnchanged(notebook: notebook, context: context, outputs: options.outputs, started: started, json: json,
                                      verbose: verbose) {
            return
        }
        let file = try locations.loadValid(notebook)
        let printer = RunPrinter(json: json, verbose: verbose, outputs: options.outputs)
        let report: RunReport
        let interrupts = Interrupts.forwardToCells()
        defer { withExtendedLifetime(interrupts) {} }
        let runner = NotebookRunner(file: file, options: options)
        do {
            report = try Terminal.reportingEnvironmentErrors {
                try runner.run(observer: printer) { report, stampFiles in
                    let reportPage = printer.writeReport(file: file, run: report, outputs: options.outputs)
                    printer.finish(report)
                    if let stampFiles, let workspace = try? Workspace(root: options.outputs) {
                        try? NoopStamp.write(workspace: workspace, notebook: name, context: context, files: stampFiles,
                                             lines: printer.cellLines, report: report, reportPage: reportPage)
                    }
                }
            }
        } catch let error as RunUsageError {
            throw Terminal.usage(error.description)
        }
        if ProcessGroups.shared.isInterrupted {
            Terminal.error("interrupted: finished cells are cached, interrupted ones are not")
            throw ExitCode(130)
        }
        if report.failed { throw ExitCode(1) }
    }
}

/// SIGINT and SIGTERM stop the running cells (each in its own process group,
/// so a terminal's Ctrl-C does not reach them directly) and let the run
/// finish cleanly: nothing half-done is cached.
enum Interrupts {
    static func forwardToCells() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { ProcessGroups.shared.interruptAll() }
            source.resume()
            return source
        }
    }
}
