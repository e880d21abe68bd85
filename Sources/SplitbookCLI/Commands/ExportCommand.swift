import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookExport
import SplitbookReport
import SplitbookSpec

/// `splitbook export offline|online|html|ipynb|md NB`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a notebook's offline batch job, its online serving bundle, or a report of its last run.",
        discussion: """
        The two halves leave as two deployable things that share only the registry:

          splitbook export offline notebooks/rag_assistant.yaml -o build/rag-job
          splitbook export online  notebooks/rag_assistant.yaml -o build/rag-service
          splitbook serve build/rag-service

        Reports of the last run:

          splitbook export html  notebooks/intro.yaml -o intro.html
          splitbook export ipynb notebooks/intro.yaml -o intro.ipynb
          splitbook export md    notebooks/intro.yaml -o -
        """,
        subcommands: [Offline.self, Online.self, HTML.self, Ipynb.self, Markdown.self]
    )

    /// Options every export takes.
    struct Common: ParsableArguments {
        @Argument(help: "The notebook file.")
        var notebook: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Where to write (default: exports/<name>/...).", valueName: "path"))
        var output: String?

        @OptionGroup var locations: Locations

        func target(_ defaultName: String) -> URL {
            URL(fileURLWithPath: output ?? "exports/\(NotebookLoader.stem(of: notebook))/\(defaultName)")
        }

        func load() throws -> NotebookFile { try locations.loadValid(notebook) }

        /// Runs an export, turning its failure into a clear message and exit status 1
        /// (2 for an executable refused for the serving image: a usage error).
        func perform(_ what: String, _ body: () throws -> [String], target: URL) throws {
            do {
                let files = try body()
                print("wrote \(what) to \(RunPrinter.relative(target.standardizedFileURL.path)) (\(files.count) files)")
                for file in files { print("  \(file)") }
            } catch let error as ExportError {
                Terminal.error("error: \(error.description)")
                throw ExitCode(1)
            } catch let refused as ServingBinary.Refused {
                Terminal.error(refused.description)
                throw ExitCode(2)
            }
        }
    }

    struct Offline: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "offline",
            abstract: "Write the offline half as a batch job: run.sh (no splitbook needed), Dockerfile, CronJob, Argo Workflow.",
            discussion: """
            Example:
              splitbook export offline notebooks/churn_model.yaml -o build/churn-job
              sh build/churn-job/run.sh          # runs the offline cells and publishes, without splitbook
            """
        )

        @OptionGroup var common: Common

        @Option(help: "The CronJob's schedule.")
        var schedule = "0 3 * * *"

        func run() throws {
            let file = try common.load()
            var exporter = BatchJobExporter(file: file)
            exporter.schedule = schedule
            let target = common.target("offline")
            try common.perform("the offline batch job", { try exporter.export(to: target) }, target: target)
        }
    }

    struct Online: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "online",
            abstract: "Write the online half as a serving bundle for `splitbook serve`, with OpenAPI, Dockerfile and Deployment.",
            discussion: """
            The bundle records the artifact versions the notebook's last run validated, so run the notebook first.
            Its image runs a static Linux splitbook: this executable when it is one (the release build
            `swift build -c release --static-swift-stdlib -Xswiftc -static-executable -Xlinker -no-pie`),
            else the one given with --binary; anything else is refused here (exit 2), not at `docker build`.

            Example:
              splitbook run notebooks/rag_assistant.yaml
              splitbook export online notebooks/rag_assistant.yaml -o build/rag-service
              splitbook serve build/rag-service
            """
        )

        @OptionGroup var common: Common

        @Option(help: ArgumentHelp("A static Linux splitbook executable to copy into the bundle's bin/ for its image "
                                   + "(default: this one, which must then be a static Linux build).", valueName: "path"))
        var binary: String?

        func run() throws {
            let file = try common.load()
            var exporter = ServingBundleExporter(file: file, workspace: try common.locations.outputs.workspace(),
                                                 registry: common.locations.artifactRegistry)
            exporter.binary = binary.map { URL(fileURLWithPath: $0) }
            let target = common.target("online")
            try common.perform("the online serving bundle", { try exporter.export(to: target) }, target: target)
        }
    }

    /// The three report formats share everything but the renderer.
    enum ReportFormat: String {
        case html, ipynb, md

        /// `origin`: where the notebook and the registry are, which the .ipynb records for its cells.
        func render(_ document: RunDocument, origin: IpynbReport.Origin) -> String {
            switch self {
            case .html: HTMLReport(document: document).html()
            case .ipynb: IpynbReport(document: document, origin: origin).json
            case .md: MarkdownReport(document: document).text
            }
        }
    }

    static func exportReport(_ common: Common, format: ReportFormat) throws {
        let file = try common.load()
        let document: RunDocument
        do {
            document = try RunDocument.latest(file: file, workspace: try common.locations.outputs.workspace())
        } catch let error as ReportError {
            Terminal.error("error: \(error.description)")
            throw ExitCode(1)
        }
        let text = format.render(document, origin: IpynbReport.Origin(notebookPath: file.source.path, registry: common.locations.registryURL))
        if common.output == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        let target = common.target("report.\(format.rawValue)")
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(Data(text.utf8), to: target, durable: false)
        print("wrote \(RunPrinter.relative(target.standardizedFileURL.path)) (run \(document.run.runID))")
    }

    struct HTML: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "html", abstract: "Write the last run's report as one self-contained HTML file (works offline).")
        @OptionGroup var common: Common
        func run() throws { try ExportCommand.exportReport(common, format: .html) }
    }

    struct Ipynb: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ipynb", abstract: "Write the last run as a Jupyter notebook (nbformat 4.5) with outputs and offline/online tags.")
        @OptionGroup var common: Common
        func run() throws { try ExportCommand.exportReport(common, format: .ipynb) }
    }

    struct Markdown: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "md", abstract: "Write the last run as Markdown (a Mermaid picture of the split, cells, outputs).")
        @OptionGroup var common: Common
        func run() throws { try ExportCommand.exportReport(common, format: .md) }
    }
}
