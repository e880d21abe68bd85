import ArgumentParser
import Foundation
import SplitbookEngine

/// `--outputs`: where runs write. One definition for every command.
struct OutputsOption: ParsableArguments {
    @Option(help: ArgumentHelp("Where runs write: workspace, cache, history (default: ./outputs).", valueName: "dir"))
    var outputs: String = "outputs"

    var url: URL { URL(fileURLWithPath: outputs) }

    func workspace() throws -> Workspace { try Workspace(root: url) }
}

/// `--outputs` and `--registry`: where runs write, and the artifact registry
/// (`--registry`, else `$SPLITBOOK_REGISTRY`, else `<outputs>/registry`).
/// Every command that reads a notebook takes both, so that all of them see
/// the same artifacts.
struct Locations: ParsableArguments {
    @OptionGroup var outputs: OutputsOption

    @Option(help: ArgumentHelp("The artifact registry (default: $SPLITBOOK_REGISTRY, else <outputs>/registry).", valueName: "dir"))
    var registry: String?

    var outputsURL: URL { outputs.url }

    var registryURL: URL {
        ArtifactRegistry.location(flag: registry, outputs: outputs.url, environment: ProcessInfo.processInfo.environment)
    }

    var artifactRegistry: ArtifactRegistry { ArtifactRegistry(root: registryURL) }

    /// Loads a notebook whose `uses` may name artifacts only this registry holds.
    func loadValid(_ notebook: String) throws -> NotebookFile { try Terminal.loadValid(notebook, registry: artifactRegistry) }

    /// Run options pointing at these locations.
    func runOptions() -> RunOptions {
        var options = RunOptions()
        options.outputs = outputsURL
        options.registry = registryURL
        return options
    }
}
