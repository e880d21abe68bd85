import SplitbookEngine
import SplitbookSpec

/// Writes `run.sh`, the offline half as a plain POSIX shell script that needs
/// no splitbook: each offline cell runs in dependency order in a fresh
/// directory holding copies of its declared inputs, with the environment of
/// CONTRACT §2, its declared outputs are checked, and its artifacts are
/// published into a registry directory in splitbook's on-disk layout (with
/// the same content hashes, so `splitbook serve` accepts them).
///
/// What the script does not do that `splitbook run` does: caching (a batch
/// job reruns everything), running independent cells in parallel (Argo does
/// that, one task per cell), and hiding the caller's other environment
/// variables. It stops at the first failing cell, like make.
///
/// The script's text is the template in `Templates/RunScriptTemplate.swift`;
/// this builds what goes in, every value quoted for the shell (`quote`,
/// `ShellString`) before it does.
struct BatchJobScript {
    let notebook: Notebook
    let graph: CellGraph
    /// The offline cells, in dependency order.
    let nodes: [Int]
    /// The params the offline cells see, with their defaults.
    let params: [Param]
    /// The locked environments the Python cells run in.
    let environments: HalfEnvironments

    var text: String { Self.template.render(context) }

    /// What `template` is rendered with.
    struct Context {
        let notebookName: String
        let notebookWord: String
        let params: [ParamContext]
        let cells: [CellContext]
        /// The cell ids, in order, as plain text and as shell words.
        let cellList: String
        let cellWords: String
        let environments: [EnvironmentContext]
        /// (Mustache reads stored properties only.)
        let hasEnvironments: Bool
    }

    /// A locked environment: the variable naming its Python and the pins it must hold.
    struct EnvironmentContext {
        let variable: String
        let pinsFile: String
        let cellList: String
        /// Spaces that line the header's descriptions up.
        let alignment: String
        let padding: String
        /// `PYTHON_KEY=${PYTHON_KEY:-${SPLITBOOK_PYTHON:-python3}}` (braces Mustache cannot write).
        let assignment: String
    }

    struct ParamContext {
        let name: String
        let upperName: String
        /// The script's variable holding the param (`P_name`).
        let variable: String
        /// Spaces that line the header's descriptions up in one column (the one
        /// bit of layout Mustache cannot do).
        let alignment: String
        let defaultText: String
        let defaultWord: String
    }

    struct CellContext {
        let id: String
        let idWord: String
        let functionName: String
        let publishList: String?
        let inputs: [InputContext]
        let uses: [UseContext]
        /// A double-quoted shell word expanding to the cell's params.json.
        let paramsJSON: String
        let lineage: LineageContext?
        let scriptWord: String
        let inlineCode: InlineCodeContext?
        let sourceFile: SourceFileContext?
        let env: [EnvContext]
        let visibleParams: [ParamContext]
        let python: Bool
        let timeoutSeconds: Int?
        let command: String
        let outputs: [String]
        let publish: [PublishContext]
    }

    struct InputContext { let pathWord, sourceWord: String }
    struct UseContext { let artifactWord, selectorWord: String }
    struct LineageContext { let lineageParams, lineageInputs: String }
    struct InlineCodeContext { let delimiter, code: String }
    struct SourceFileContext { let sourceWord: String }
    struct EnvContext { let name, valueWord: String }
    struct PublishContext { let artifactWord, pathWord: String }

    var context: Context {
        let ids = nodes.map { graph.cells[$0].id.value.rawValue }
        let names = functionNames(ids)
        return Context(notebookName: notebook.name, notebookWord: Self.quote(notebook.name), params: params.map(paramContext),
                       cells: zip(nodes, names).map { cellContext($0, functionName: $1) },
                       cellList: ids.joined(separator: " "), cellWords: ids.map(Self.quote).joined(separator: " "),
                       environments: environments.entries.map { entry in
                           EnvironmentContext(variable: entry.variable, pinsFile: entry.pinsFile,
                                              cellList: entry.cells.map(\.rawValue).joined(separator: ", "),
                                              alignment: String(repeating: " ", count: max(1, 21 - entry.variable.count)),
                                              padding: String(repeating: " ", count: 21),
                                              assignment: "\(entry.variable)=${\(entry.variable):-${SPLITBOOK_PYTHON:-python3}}")
                       },
                       hasEnvironments: !environments.entries.isEmpty)
    }

    /// A shell function name for each cell id: `-` becomes `_`, and a name already
    /// taken (cells `a-b` and `a_b`) gets a number.
    private func functionNames(_ ids: [String]) -> [String] {
        var used = Set<String>()
        return ids.map { id in
            let base = id.replacingOccurrences(of: "-", with: "_")
            var name = base
            var n = 2
            while used.contains(name) {
                name = "\(base)_\(n)"
                n += 1
            }
            used.insert(name)
            return name
        }
    }

    private func paramContext(_ p: Param) -> ParamContext {
        let name = p.name.value
        return ParamContext(name: name, upperName: name.uppercased(), variable: shellVariable(name),
                            alignment: String(repeating: " ", count: max(1, 18 - name.count)),
                            defaultText: p.value.environmentText, defaultWord: Self.quote(p.value.environmentText))
    }

    private func shellVariable(_ param: String) -> String {
        "P_" + String(param.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    private func cellContext(_ node: Int, functionName: String) -> CellContext {
        let cell = graph.cells[node]
        let id = cell.id.value.rawValue
        let inputs = cell.inputs.map { input -> InputContext in
            let path = input.value.rawValue
            let source: ShellString
            if let up = graph.producers[input.value] {
                source = .expansion("$WORK/") + .literal("\(graph.cells[up].id.value)/\(path)")
            } else {
                source = .expansion("$JOB_DIR/") + .literal(path)
            }
            return InputContext(pathWord: Self.quote(path), sourceWord: source.quoted)
        }
        let uses = cell.uses.map { use -> UseContext in
            let selector: String
            switch use.value.selector {
            case .version(let v): selector = String(v)
            case .alias(let a): selector = a
            }
            return UseContext(artifactWord: Self.quote(use.value.name.rawValue), selectorWord: Self.quote(selector))
        }
        let visible = cell.params.map { names in params.filter { p in names.contains { $0.value == p.name.value } } } ?? params
        let sorted = visible.sorted { $0.name.value < $1.name.value }
        let paramsJSON = sorted.map { p -> ShellString in
            let v = shellVariable(p.name.value)
            switch p.value {
            case .string: return .literal("\"\(p.name.value)\":\"") + .expansion("$(sb_json_string \"$\(v)\")") + .literal("\"")
            case .null: return .literal("\"\(p.name.value)\":") + .expansion("${\(v):-null}")
            default: return .literal("\"\(p.name.value)\":") + .expansion("$\(v)")
            }
        }
        var lineage: LineageContext?
        if !cell.publish.isEmpty {
            // Lineage records each param as the canonical JSON text of its value (a JSON string holding JSON).
            let recorded = sorted.map { p -> ShellString in
                let v = shellVariable(p.name.value)
                switch p.value {
                case .string:
                    return .literal("\"\(p.name.value)\":\"\\\"") + .expansion("$(sb_json_string \"$(sb_json_string \"$\(v)\")\")")
                        + .literal("\\\"\"")
                default:
                    return .literal("\"\(p.name.value)\":\"") + .expansion("$(sb_json_string \"$\(v)\")") + .literal("\"")
                }
            }
            lineage = LineageContext(lineageParams: ShellString.object(recorded).quoted,
                                     lineageInputs: Self.quote(cell.inputs.map(\.value.rawValue).joined(separator: " ")))
        }
        let script = ShellString.expansion("$meta/") + .literal("\(id).\(cell.language.scriptExtension)")
        var inlineCode: InlineCodeContext?
        var sourceFile: SourceFileContext?
        switch cell.source {
        case .inline(let code):
            // The here-document ends every line, the last one included.
            inlineCode = InlineCodeContext(delimiter: heredocDelimiter(for: code), code: code.hasSuffix("\n") ? String(code.dropLast()) : code)
        case .file(let path):
            sourceFile = SourceFileContext(sourceWord: (ShellString.expansion("$JOB_DIR/") + .literal(path.value.rawValue)).quoted)
        }
        return CellContext(
            id: id, idWord: Self.quote(id), functionName: functionName,
            publishList: cell.publish.isEmpty ? nil : cell.publish.map(\.artifact.value.rawValue).joined(separator: ", "),
            inputs: inputs, uses: uses, paramsJSON: ShellString.object(paramsJSON).quoted, lineage: lineage,
            scriptWord: script.quoted, inlineCode: inlineCode, sourceFile: sourceFile,
            env: (notebook.env + cell.env).map { EnvContext(name: $0.name.value, valueWord: Self.quote($0.value)) },
            visibleParams: visible.map(paramContext), python: cell.language == .python,
            timeoutSeconds: cell.timeout.map { Int($0.rounded(.up)) },
            command: (command(cell) + [script.quoted]).joined(separator: " "),
            outputs: cell.outputs.map { Self.quote($0.value.rawValue) },
            publish: cell.publish.map { PublishContext(artifactWord: Self.quote($0.artifact.value.rawValue), pathWord: Self.quote($0.path.value.rawValue)) })
    }

    /// The cell's interpreter as shell words; a Python cell with an environment runs its Python.
    private func command(_ cell: CodeCell) -> [String] {
        guard let entry = environments.entry(for: cell.id.value) else { return cell.command.map(Self.quote) }
        return ["\"$\(entry.variable)\""] + cell.command.dropFirst().map(Self.quote)
    }

    private func heredocDelimiter(for code: String) -> String {
        let lines = Set(code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        var delimiter = "SPLITBOOK_CODE"
        var n = 1
        while lines.contains(delimiter) {
            n += 1
            delimiter = "SPLITBOOK_CODE_\(n)"
        }
        return delimiter
    }

    /// A shell word that stands for `s` exactly.
    static func quote(_ s: String) -> String {
        if !s.isEmpty, s.unicodeScalars.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "_./-=:@,+".unicodeScalars.contains($0) }) {
            return s
        }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Text for a double-quoted shell word, built from literal pieces (escaped)
/// and expansions (kept as written).
struct ShellString {
    var source = ""

    static func literal(_ text: String) -> ShellString {
        var out = ""
        for ch in text {
            if "\\\"$`".contains(ch) { out.append("\\") }
            out.append(ch)
        }
        return ShellString(source: out)
    }

    static func expansion(_ text: String) -> ShellString { ShellString(source: text) }

    static func + (a: ShellString, b: ShellString) -> ShellString { ShellString(source: a.source + b.source) }

    /// `{` members joined by commas `}`.
    static func object(_ members: [ShellString]) -> ShellString {
        var out = literal("{")
        for (n, m) in members.enumerated() { out = out + (n > 0 ? literal(",") : ShellString()) + m }
        return out + literal("}")
    }

    var quoted: String { "\"" + source + "\"" }
}
