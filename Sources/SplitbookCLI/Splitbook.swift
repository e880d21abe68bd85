import ArgumentParser

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
        subcommands: [CheckCommand.self, GraphCommand.self, SchemaCommand.self]
    )

    public init() {}
}

/// Exit status 2: the notebook or the command line is invalid (CONTRACT §9).
let invalidInput = ExitCode(2)

extension Splitbook {
    /// Parses the command line and runs, exiting 2 (not ArgumentParser's 64)
    /// for usage errors, as CONTRACT §9 asks.
    public static func runAndExit(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
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
