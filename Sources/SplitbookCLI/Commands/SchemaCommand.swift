import ArgumentParser
import SplitbookSpec

/// `splitbook schema`: the notebook format as JSON Schema.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of the notebook format.",
        discussion: """
        Editors with yaml-language-server validate and complete notebooks that start with:
          # yaml-language-server: $schema=../schema/notebook.schema.json

        Example:
          splitbook schema > schema/notebook.schema.json
        """
    )

    func run() {
        print(NotebookSchema.document().prettyJSON(), terminator: "")
    }
}
