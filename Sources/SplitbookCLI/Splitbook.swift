import ArgumentParser
import SplitbookSpec

/// The `splitbook` command: subcommands, one per file under `Commands/`.
public struct Splitbook: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "splitbook",
        abstract: "A reproducible notebook runner that teaches the offline/online split of ML systems.",
        discussion: """
        A notebook is a YAML file of markdown and code cells. Offline cells form the batch job and
        publish artifacts to a registry; online cells load those artifacts and answer requests.

        Example:
          splitbook check notebooks/intro.yaml
          splitbook graph notebooks/intro.yaml --format mermaid
        """,
        version: "0.1.0",
        subcommands: [RunCommand.self, LockCommand.self, StatusCommand.self, ExplainCommand.self, RunsCommand.self, CacheCommand.self, RegistryCommand.self,
                      ServeCommand.self, ExportCommand.self, ImportCommand.self,
                      CheckCommand.self, GraphCommand.self, SchemaCommand.self]
    )

    public init() {}
}

/// Exit status 2: the notebook or the command line is invalid (CONTRACT §9).
let invalidInput = ExitCode(2)

extension Splitbook {
    /// Parses the command line and runs, exiting 2 (not ArgumentParser's 64)
    /// for usage errors, as CONTRACT §9 asks.
    public static func runAndExit(_ arguments: [String]? = nil) -> Never {
        if RunCommand.quickReplay(arguments ?? Array(CommandLine.arguments.dropFirst())) { exit() }
        do {
            var command = try parseAsRoot(rewritingForce(arguments ?? Array(CommandLine.arguments.dropFirst())))
            try command.run()
            exit()
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == 64 {
                Terminal.error(fullMessage(for: error))
                exit(withError: invalidInputError)
            }
            exit(withError: error)
        }
    }
}

/// Carries exit status 2 through ArgumentParser's `exit(withError:)`.
let invalidInputError: Error = invalidInput

extension Splitbook {
    /// `run --force [CELL]`: a bare `--force` means every cell, `--force ID`
    /// (or `--force=ID`) one cell. A following word is taken as the cell only
    /// if it looks like a cell id, not a notebook path.
    static func rewritingForce(_ arguments: [String]) -> [String] {
        guard arguments.first == "run" else { return arguments }
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if argument == "--force" {
                let next = i + 1 < arguments.count ? arguments[i + 1] : nil
                if let next, CellIDShape.matches(next) {
                    out += ["--force-cell", next]
                    i += 2
                    continue
                }
                out.append("--force-all")
            } else if argument.hasPrefix("--force=") {
                out += ["--force-cell", String(argument.dropFirst("--force=".count))]
            } else {
                out.append(argument)
            }
            i += 1
        }
        return out
    }
}

/// Whether a word has the shape of a cell id (`[a-z][a-z0-9_-]*`).
enum CellIDShape {
    static func matches(_ word: String) -> Bool {
        guard let first = word.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return word.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }
}
