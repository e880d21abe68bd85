import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookExport
import SplitbookSpec

/// `splitbook import NOTEBOOK.ipynb [-o notebooks/NAME.yaml] [--force]` (CONTRACT §13).
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a Jupyter notebook into a splitbook notebook whose hidden state is declared.",
        discussion: """
        Markdown cells stay markdown; each code cell becomes a Python cell. A top-level name a cell
        reads that an earlier cell defined becomes a declared edge: the defining cell saves the value
        (splitbook.save, an output under vars/CELL/NAME) and the reader loads it (splitbook.load, an
        input). A name redefined or changed in place (df["x"] = ..., rows.append(...)) gets a new
        version, so each reader sees what it would have seen running the notebook top to bottom.
        Functions and classes are handed over as source; imports are repeated where they are used.
        Literal paths read become inputs (when the file is under the notebook's directory), literal
        paths written become outputs; a cell tagged `parameters` becomes `params`; `%pip install`
        lines become `python.requirements`. What cannot be followed (exec, globals(), star imports,
        other magics, `!` shell lines) is reported at its cell and line.

        The analysis runs in Python's `ast`, with the interpreter the cells will run with
        (python3 on PATH unless --python says otherwise); nothing of the notebook is run.
        The YAML goes beside the .ipynb unless -o says where ('-' prints it); an existing file
        is kept unless --force. Exits 2, writing nothing, when the notebook cannot be read.

        Example:
          splitbook import analysis.ipynb -o notebooks/analysis.yaml
          splitbook graph notebooks/analysis.yaml
          splitbook run notebooks/analysis.yaml
        """
    )

    @Argument(help: "The Jupyter notebook (.ipynb, nbformat 4).")
    var notebook: String

    @Option(name: .shortAndLong, help: "Where to write the YAML (default: beside the notebook, NAME.yaml; '-' for stdout).")
    var output: String?

    @Flag(help: "Overwrite the output file if it exists.")
    var force = false

    @Option(help: "The Python that analyses the cells (default: python3 on PATH).")
    var python = "python3"

    @Flag(name: .shortAndLong, help: "Print notes too (magics dropped, rewrites), not only warnings.")
    var verbose = false

    func run() throws {
        let inputURL = URL(fileURLWithPath: notebook)
        let stem = inputURL.deletingPathExtension().lastPathComponent
        let target = output ?? inputURL.deletingPathExtension().appendingPathExtension("yaml").relativePath
        let toStdout = target == "-"
        if !toStdout {
            if !notebook.hasSuffix(".ipynb") && output == nil {
                throw Terminal.usage("\(notebook): not an .ipynb file; name the output with -o")
            }
            if URL(fileURLWithPath: target).standardizedFileURL == inputURL.standardizedFileURL {
                throw Terminal.usage("-o \(target) is the notebook itself")
            }
            if FileManager.default.fileExists(atPath: target), !force {
                throw Terminal.usage("\(target) exists; pass --force to overwrite it")
            }
        }
        let analysis: JupyterAnalysis
        do {
            analysis = try JupyterAnalyzer.analyze(path: notebook, python: python, environment: ProcessInfo.processInfo.environment)
        } catch let refusal as JupyterAnalyzer.Refusal {
            Terminal.error(refusal.description)
            throw invalidInput
        } catch let failure as JupyterAnalyzer.Failure {
            throw Terminal.usage(failure.description)
        }
        let notebookDirectory = inputURL.deletingLastPathComponent().path
        let yamlURL = URL(fileURLWithPath: toStdout ? notebook : target).deletingLastPathComponent()
        let yamlDirectory = yamlURL.path
        let shownYAMLDirectory = toStdout ? "." : (URL(fileURLWithPath: target).deletingLastPathComponent().relativePath)
        let context = ImportContext(
            existsBesideNotebook: { FileManager.default.fileExists(atPath: notebookDirectory + "/" + $0) },
            existsBesideYAML: { FileManager.default.fileExists(atPath: yamlDirectory + "/" + $0) },
            readBesideNotebook: { try? String(contentsOfFile: notebookDirectory + "/" + $0, encoding: .utf8) },
            yamlDirectory: shownYAMLDirectory)
        let plan = ImportPlanner.plan(analysis, context: context)
        let name = toStdout ? stem : URL(fileURLWithPath: target).deletingPathExtension().lastPathComponent
        let yaml = ImportedNotebookYAML.text(plan, name: name, source: relative(notebook, to: yamlDirectory))
        let rendered = ImportWarningRenderer(path: notebook, cells: analysis.cells)
        let shown = plan.warnings.filter { verbose || $0.severity == .warning }
        Terminal.error(rendered.render(shown), newline: false)
        if toStdout {
            print(yaml, terminator: "")
            return
        }
        try write(yaml, to: target)
        Terminal.error(summary(plan, analysis: analysis, target: target))
    }

    /// Writes the YAML aside, checks it loads without errors, then renames it into place.
    private func write(_ yaml: String, to target: String) throws {
        let url = URL(fileURLWithPath: target)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let staging = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).import-\(getpid())")
        do {
            try Data(yaml.utf8).write(to: staging)
        } catch {
            throw Terminal.usage("cannot write \(target): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: staging) }
        do {
            let file = try NotebookFile(path: staging.path)
            if file.check.hasErrors {
                Terminal.error(file.renderedDiagnostics, newline: false)
                throw Terminal.usage("the imported notebook does not check (a bug in splitbook import); nothing was written")
            }
        } catch let error as NotebookFile.ReadError {
            throw Terminal.usage("the imported notebook cannot be loaded (\(error)); nothing was written")
        }
        guard rename(staging.path, url.path) == 0 else {
            throw Terminal.usage("cannot write \(target): \(String(cString: strerror(errno)))")
        }
    }

    /// What became what: one line per code cell, then how to go on.
    private func summary(_ plan: ImportPlan, analysis: JupyterAnalysis, target: String) -> String {
        let cells = plan.codeCells
        let edges = cells.flatMap(\.reads).filter { $0.from != nil }.count
        let warnings = plan.warnings.filter { $0.severity == .warning }.count
        var lines = ["imported \(notebook) -> \(target): \(cells.count) code cell\(cells.count == 1 ? "" : "s"), "
                     + "\(plan.cells.count - cells.count) markdown, \(plan.params.count) param\(plan.params.count == 1 ? "" : "s"), "
                     + "\(edges) value\(edges == 1 ? "" : "s") handed between cells"
                     + (plan.requirements.map { ", \($0.count) requirement\($0.count == 1 ? "" : "s")" } ?? "")
                     + (warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : "")]
        let width = min(24, cells.map(\.id.count).max() ?? 0)
        for cell in cells {
            var parts: [String] = []
            func list(_ items: [String]) -> String {
                items.prefix(8).joined(separator: ", ") + (items.count > 8 ? " and \(items.count - 8) more" : "")
            }
            if !cell.reads.isEmpty {
                parts.append("reads " + list(cell.reads.map { "\($0.name) (\($0.from ?? "param"))" }))
            }
            if !cell.saves.isEmpty { parts.append("hands on " + list(cell.saves)) }
            let files = cell.outputs.filter { !$0.hasPrefix("vars/") }
            if !files.isEmpty { parts.append("writes " + files.joined(separator: ", ")) }
            let padded = cell.id.padding(toLength: max(width, cell.id.count), withPad: " ", startingAt: 0)
            lines.append("  cell \(cell.number)\(cell.number < 10 ? " " : "") \(padded)  \(parts.isEmpty ? "-" : parts.joined(separator: "; "))")
        }
        lines.append("next: splitbook check \(target) && splitbook graph \(target) && splitbook run \(target)")
        return lines.joined(separator: "\n")
    }

    /// `path` as seen from `directory` when it is below it, else as given.
    private func relative(_ path: String, to directory: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let base = URL(fileURLWithPath: directory).standardizedFileURL.path
        return absolute.hasPrefix(base + "/") ? String(absolute.dropFirst(base.count + 1)) : URL(fileURLWithPath: path).lastPathComponent
    }
}

/// Import warnings, compiler style, located in the `.ipynb` by cell and line
/// (`analysis.ipynb:cell 4:2:5: warning: ...`, the convention of ruff and nbQA),
/// with the cell's line and a caret.
struct ImportWarningRenderer {
    let path: String
    let cells: [JupyterAnalysis.SourceCell]

    func render(_ warnings: [ImportWarning]) -> String {
        var out = ""
        for warning in warnings {
            guard let number = warning.cell, number >= 1, number <= cells.count else {
                out += "\(path): \(warning.severity.rawValue): \(warning.message)\n"
                for note in warning.notes { out += "note: \(note)\n" }
                continue
            }
            out += "\(path):cell \(number):\(warning.line):\(warning.column): \(warning.severity.rawValue): \(warning.message)\n"
            let lines = cells[number - 1].source.split(separator: "\n", omittingEmptySubsequences: false)
            if warning.line >= 1, warning.line <= lines.count {
                let line = String(lines[warning.line - 1])
                out += "    \(line)\n"
                let column = min(max(1, warning.column), line.count + 1)
                let length = max(1, min(warning.length, max(1, line.count - column + 1)))
                out += "    " + String(repeating: " ", count: column - 1) + "^" + String(repeating: "~", count: length - 1) + "\n"
            }
            for note in warning.notes { out += "note: \(note)\n" }
        }
        return out
    }
}
