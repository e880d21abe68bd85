import ArgumentParser
import SplitbookEngine
import SplitbookSpec

extension GraphRenderer.Format: ExpressibleByArgument {}

/// `splitbook graph NB --format text|dot|mermaid`.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print a notebook's cell graph: offline and online cells with the registry between them.",
        discussion: """
        Example:
          splitbook graph notebooks/intro.yaml
          splitbook graph notebooks/intro.yaml --format dot | dot -Tsvg > graph.svg
          splitbook graph notebooks/intro.yaml --format mermaid
        """
    )

    @Argument(help: "The notebook file.")
    var notebook: String

    @Option(help: "Output format: \(GraphRenderer.Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: GraphRenderer.Format = .text

    func run() throws {
        let file = try Terminal.loadValid(notebook)
        print(GraphRenderer(notebook: file.check.notebook!, graph: file.check.graph!).render(format), terminator: "")
    }
}
