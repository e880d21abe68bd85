import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookSpec

/// Options shared by the commands that look at a notebook's cache.
struct CacheLocation: ParsableArguments {
    @Option(name: .customShort("p"), help: ArgumentHelp("A param value to evaluate with; read as YAML.", valueName: "name=value"))
    var params: [String] = []

    @OptionGroup var locations: Locations

    func runOptions() throws -> RunOptions {
        var options = locations.runOptions()
        options.params = try Terminal.parseParams(params)
        return options
    }
}

/// `splitbook status NB`: what a run would do, executing nothing.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which cells are cached and which would run, and why, without running anything.",
        discussion: """
        Example:
          splitbook status notebooks/intro.yaml
          splitbook status notebooks/intro.yaml -p n=50
        """
    )

    @Argument(help: "The notebook file.")
    var notebook: String

    @OptionGroup var location: CacheLocation

    @Flag(help: "Print the status as JSON.")
    var json = false

    func run() throws {
        let file = try location.locations.loadValid(notebook)
        let report: RunReport
        do {
            report = try Terminal.reportingEnvironmentErrors { try NotebookRunner(file: file, options: location.runOptions()).plan().report }
        } catch let error as RunUsageError {
            throw Terminal.usage(error.description)
        }
        if json {
            print(Terminal.json(report))
            return
        }
        let width = report.cells.map(\.id.count).max() ?? 0
        for cell in report.cells {
            var line = cell.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + cell.id
            if !cell.reasons.isEmpty, cell.status != .online {
                line = line.padding(toLength: 8 + width, withPad: " ", startingAt: 0) + "  " + cell.reasons.joined(separator: "; ")
            }
            print(line)
        }
        print("\(report.count(.cached)) cached, \(report.count(.stale)) would run")
    }
}
