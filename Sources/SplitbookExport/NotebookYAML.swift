import SplitbookEngine
import SplitbookSpec

/// Writes a notebook, or one half of it, back out as YAML: the
/// `notebook.yaml` of an export. The output loads to the same cells (same
/// code, params and declarations, so the same step keys); comments and the
/// original formatting are not kept. Code and markdown become literal
/// blocks, every other value plain when that is unambiguous, else JSON
/// (which YAML 1.2 reads as is).
///
/// The layout is the template's (`Templates/NotebookYAMLTemplate.swift`); the
/// scalars are written here. Yams' serializer (libyaml's emitter) is not used:
/// it writes a block sequence under a mapping key unindented (`cells:\n- id`),
/// puts no blank line between cells, and picks quoting by its own rules, so it
/// cannot write the file this format documents (nor keep exports stable).
enum NotebookYAML {
    struct Context {
        let title: String?
        let description: Block?
        let hasParams: Bool
        let params: [Entry]
        let hasEnv: Bool
        let env: [Entry]
        let latencyBudget: String?
        let python: String?
        let cells: [CellContext]
    }

    /// A mapping entry: key and value as YAML text.
    struct Entry {
        let key: String
        let value: String
    }

    /// One cell: exactly one of the two is set.
    struct CellContext {
        let markdown: Block?
        let code: CodeContext?
    }

    /// A code cell's keys, each as YAML text, nil (false) when the key is left out.
    /// (No name here is one of `Context`'s: a nil field must not find the notebook's.)
    struct CodeContext {
        let id: String
        let online: Bool
        let lang: String
        let interpreter: String?
        let needs: String?
        let inputs: String?
        let outputs: String?
        let cellParams: String?
        let cellEnv: String?
        let secrets: String?
        let publish: String?
        let uses: String?
        let sample: String?
        let timeout: String?
        let noCache: Bool
        let cellLatencyBudget: String?
        let cellPython: String?
        let cellParity: String?
        let requestSchema: String?
        let inlineCode: Block?
        let file: String?
    }

    /// A string value after its key: ` |` (with indicators) and lines the template
    /// indents, or a quoted scalar (` "..."`) and no lines.
    struct Block {
        let header: String
        let lines: [BlockLine]
    }

    struct BlockLine {
        let line: String
        /// An empty line: written without indentation.
        let blank: Bool
    }

    /// `requirements` gives a `python:` block's requirements as the export writes
    /// them (nil leaves the block out).
    static func text(_ notebook: Notebook, cells: [Cell], title: String?, params: [Param],
                     requirements: (PythonSpec) -> [String]? = { _ in nil }, parityRows: [CellID: RelativePath] = [:]) -> String {
        func python(_ spec: PythonSpec) -> String? {
            requirements(spec).map { texts in
                "{requirements: [" + texts.map { scalar($0, forceString: true) }.joined(separator: ", ") + "]"
                    + (spec.version.map { ", version: " + scalar($0.value, forceString: true) } ?? "") + "}"
            }
        }
        let online = cells.contains { if case .code(let c) = $0 { c.stage == .online } else { false } }
        let context = Context(
            title: title.map { scalar($0) },
            description: notebook.description.map(block),
            hasParams: !params.isEmpty,
            params: params.map { Entry(key: scalar($0.name.value), value: value($0.value)) },
            hasEnv: !notebook.env.isEmpty,
            env: notebook.env.map { Entry(key: scalar($0.name.value), value: scalar($0.value, forceString: true)) },
            latencyBudget: online ? notebook.latencyBudgetMs.map { value(number($0)) } : nil,
            python: notebook.python.flatMap(python),
            cells: cells.map { cell in
                switch cell {
                case .markdown(let m): CellContext(markdown: block(m.text), code: nil)
                case .code(let c):
                    CellContext(markdown: nil, code: code(c, python: c.python.flatMap(python),
                                                          parity: c.parity.map { parity($0, rows: parityRows[c.id.value] ?? $0.rows.value) }))
                }
            })
        return template.render(context)
    }

    /// A `parity:` block in flow style, its rows at `rows`.
    private static func parity(_ spec: ParitySpec, rows: RelativePath) -> String {
        func tolerance(_ t: ParitySpec.Tolerance) -> String {
            switch t {
            case .uniform(let v): value(number(v))
            case .fields(let map): "{" + map.keys.sorted().map { "\(scalar($0, forceString: true)): \(value(number(map[$0]!)))" }.joined(separator: ", ") + "}"
            }
        }
        var parts = ["rows: " + scalar(rows.rawValue)]
        if spec.tolerance != .uniform(0) { parts.append("tolerance: " + tolerance(spec.tolerance)) }
        if spec.relative != .uniform(0) { parts.append("relative: " + tolerance(spec.relative)) }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    private static func code(_ c: CodeCell, python: String?, parity: String?) -> CodeContext {
        func list(_ items: [String]) -> String? { "[" + items.map { scalar($0) }.joined(separator: ", ") + "]" }
        func nonEmpty(_ items: [String]) -> String? { items.isEmpty ? nil : list(items) }
        func map(_ pairs: [(String, String)]) -> String? {
            pairs.isEmpty ? nil : "{" + pairs.map { "\(scalar($0.0)): \(scalar($0.1, forceString: true))" }.joined(separator: ", ") + "}"
        }
        var sample: String?
        if let samples = c.samples {
            sample = samples.count == 1 && !isSampleList(samples[0]) ? value(samples[0]) : "{samples: " + value(.array(samples)) + "}"
        }
        var inlineCode: Block?
        var file: String?
        switch c.source {
        case .inline(let code): inlineCode = block(code)
        case .file(let path): file = scalar(path.value.rawValue)
        }
        return CodeContext(
            id: c.id.value.rawValue, online: c.stage == .online, lang: scalar(c.language.description),
            interpreter: c.interpreter.flatMap(list),
            needs: nonEmpty(c.needs.map(\.value.rawValue)),
            inputs: nonEmpty(c.inputs.map(\.value.rawValue)),
            outputs: nonEmpty(c.outputs.map(\.value.rawValue)),
            cellParams: c.params.flatMap { list($0.map(\.value)) },
            cellEnv: map(c.env.map { ($0.name.value, $0.value) }),
            secrets: nonEmpty(c.secrets.map(\.value)),
            publish: map(c.publish.map { ($0.artifact.value.rawValue, $0.path.value.rawValue) }),
            uses: nonEmpty(c.uses.map(\.value.description)),
            sample: sample,
            timeout: c.timeout.map { value(number($0)) },
            noCache: !c.cache,
            cellLatencyBudget: c.latencyBudgetMs.map { value(number($0)) },
            cellPython: python,
            cellParity: parity,
            requestSchema: c.requestSchema.map { value($0.value) },
            inlineCode: inlineCode, file: file)
    }

    /// A mapping whose only key is `samples` holding a list reads as a list of samples.
    private static func isSampleList(_ v: JSONValue) -> Bool {
        if case .object(let members) = v, members.count == 1, case .array? = members["samples"] { return true }
        return false
    }

    private static func number(_ d: Double) -> JSONValue { d == d.rounded() && abs(d) < 1e15 ? .int(Int(d)) : .double(d) }

    /// A JSON value in flow style (JSON is YAML 1.2).
    private static func value(_ v: JSONValue) -> String {
        if case .string(let s) = v { return scalar(s, forceString: true) }
        return v.canonicalJSON
    }

    /// A string as a plain scalar when it reads back as the same string, else JSON-quoted.
    static func scalar(_ s: String, forceString: Bool = false) -> String {
        let safe = !s.isEmpty && s.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "_./-@".unicodeScalars.contains($0)
        }
        let first = s.unicodeScalars.first
        let startsWell = first.map { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || $0 == "_" } ?? false
        let keyword = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"].contains(s.lowercased())
        if safe, startsWell, !keyword { return s }
        if safe, !forceString, Double(s) == nil, !keyword, first != "-", first != "." { return s }
        var out = ""
        JSONValue.writeString(s, to: &out)
        return out
    }

    /// The text as a literal block (` |`, then its lines), or as a quoted
    /// scalar when a block cannot hold it exactly.
    private static func block(_ text: String) -> Block {
        let printable = text.unicodeScalars.allSatisfy { $0 == "\n" || $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) }
        if text.isEmpty || !printable || text.hasPrefix("\n") { return Block(header: " " + scalar(text, forceString: true), lines: []) }
        var body = text
        var chomp = ""
        if !body.hasSuffix("\n") {
            chomp = "-"
            body += "\n"
        } else if body.hasSuffix("\n\n") {
            chomp = "+"
        }
        let lines = body.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        let leadingSpace = lines.first(where: { !$0.allSatisfy { $0 == " " } })?.first == " "
        // Lines holding only spaces before the first text line would change the detected indentation.
        let indicator = leadingSpace || lines.first.map({ !$0.isEmpty && $0.allSatisfy { $0 == " " } }) == true ? "2" : ""
        return Block(header: " |\(indicator)\(chomp)", lines: lines.map { BlockLine(line: String($0), blank: $0.isEmpty) })
    }
}
