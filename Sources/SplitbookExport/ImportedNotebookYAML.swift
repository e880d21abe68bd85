import SplitbookEngine
import SplitbookSpec

/// Writes an `ImportPlan` as a notebook YAML file, through the same writer as
/// an export's `notebook.yaml` (`NotebookYAML`), so the imported file has the
/// layout and quoting every other generated notebook has. A comment header
/// says where it came from and how the hand-offs work.
public enum ImportedNotebookYAML {
    /// The file's text. `source` is the `.ipynb` as the user named it; `schema`, when
    /// given, the schema's path relative to the YAML (for yaml-language-server).
    public static func text(_ plan: ImportPlan, name: String, source: String, schema: String? = nil) -> String {
        let here = SourceRange(SourceLocation(line: 1, column: 1))
        var notebook = Notebook(path: name + ".yaml", name: name, title: plan.title,
                                params: plan.params.map { Param(name: Located($0.name, at: here), value: $0.value) },
                                env: plan.env.map { EnvVariable(name: Located($0.name, at: here), value: $0.value) })
        if let requirements = plan.requirements {
            notebook.python = PythonSpec(requirements: .list(requirements.map { Located($0, at: here) }), version: nil, keyRange: here)
        }
        notebook.cells = plan.cells.map { cell in
            switch cell {
            case .markdown(let text):
                return .markdown(MarkdownCell(text: text, range: here))
            case .code(let plan):
                var code = CodeCell(id: Located(CellID(plan.id), at: here), range: here)
                code.language = Language(plan.language)
                code.source = .inline(plan.code)
                code.inputs = plan.inputs.map { Located(ValuePattern.normalize($0), at: here) }
                code.outputs = plan.outputs.map { Located(ValuePattern.normalize($0), at: here) }
                code.params = plan.params.map { $0.map { Located($0, at: here) } }
                return .code(code)
            }
        }
        let body = NotebookYAML.text(notebook, cells: notebook.cells, title: plan.title ?? name, params: notebook.params) { spec in
            if case .list(let items) = spec.requirements { return items.map(\.value) }
            return nil
        }
        var header: [String] = []
        if let schema { header.append("# yaml-language-server: $schema=\(schema)") }
        header += [
            "# Imported from \(source) by `splitbook import`.",
            "# Each value a cell reads from an earlier cell is saved by the cell that made it",
            "# (splitbook.save, a declared output under vars/CELL/NAME) and loaded by the reader",
            "# (splitbook.load, a declared input): the kernel's hidden state, made explicit.",
        ]
        return header.joined(separator: "\n") + "\n" + body
    }
}
