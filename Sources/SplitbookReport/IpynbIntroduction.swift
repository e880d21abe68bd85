import Foundation
import SplitbookEngine
import SplitbookSpec

/// The first two cells of the exported notebook: what it is (the record of
/// one run, and how to rerun it here or with splitbook), and the run's
/// params as Python assignments, the cell papermill's `-p` overrides.
struct IpynbIntroduction {
    let document: RunDocument
    let origin: IpynbReport.Origin

    private var params: [(name: String, value: JSONValue)] { IpynbReport.params(of: document) }

    var markdown: String {
        let run = document.run
        var text = """
            # \(document.notebook.title ?? document.notebook.name)

            This notebook is the **record** of splitbook run `\(run.runID)` of `\(run.notebookPath)`, \
            started \(ISOTime.string(run.startedAt)): each code cell shows what it printed and displayed in that run, \
            its tag says which half it belongs to (`offline` or `online`), and `metadata.splitbook` holds splitbook's \
            view of it (status, duration, step key, publications).

            It is also a **program**. Run All reruns the cells in this kernel, each as splitbook ran it (the setup \
            cell below arranges that): in a fresh directory of its own under a temporary folder, never beside this \
            file, holding the inputs it declared and the artifacts it uses, with the `PARAM_*` and `SPLITBOOK_*` \
            variables, the notebook's `env`, and the `splitbook` module for Python cells.

            - **Params** are in the next cell, tagged `parameters`: edit them there\(papermillExample).
            - **Source files** come from the notebook's folder, `\(origin.notebookDirectory.path)`; if it has moved, \
            set `SPLITBOOK_SOURCE_DIR` to a copy of it.
            - **Artifacts** that cells here publish pass to the cells that use them within this kernel; any other \
            comes from the registry `\(origin.registry.path)` (or `SPLITBOOK_REGISTRY`).

            """
        if !origin.lockedPackages.isEmpty {
            let pins = origin.lockedPackages.map { "\($0.name)==\($0.version)" }.joined(separator: " ")
            text += """
                - **Packages**: the Python cells ran with Python \(origin.lockedPython ?? "3") and the pins of \
                `\(LockFile.path(forNotebook: run.notebookPath))`; install them where the kernel runs:

                      pip install \(pins)


                """
        }
        if let seed = document.notebook.env.first(where: { $0.name.value == "PYTHONHASHSEED" })?.value {
            text += "- **Hash seed**: the run set `PYTHONHASHSEED=\(seed)`; start the kernel with it for the same string hashes.\n"
        }
        let flags = params.map { " -p " + Self.shellWord("\($0.name)=\($0.value.environmentText)") }.joined()
        text += "\nTo rerun it with splitbook instead: `splitbook run \(run.notebookPath)\(flags)`.\n"
        return text
    }

    private var papermillExample: String {
        guard let first = params.first else { return "" }
        return ", or run `papermill THIS.ipynb OUT.ipynb -p \(first.name) \(Self.shellWord(first.value.environmentText))`"
    }

    var parameters: String {
        var lines = ["# The params of run \(document.run.runID) (papermill's -p replaces them). Each cell sees the ones it",
                     "# declares, as PARAM_<NAME> and in splitbook.params; change them here, then run the cells below."]
        for (name, value) in params {
            let variable = PythonLiteral.variable(name)
            lines.append("\(variable) = \(PythonLiteral.of(value))" + (variable == name ? "" : "  # the param '\(name)'"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `word` as one shell word: as it is when that is safe, else single-quoted.
    static func shellWord(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/=+@%")
        if !word.isEmpty, word.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
