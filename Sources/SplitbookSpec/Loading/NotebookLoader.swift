/// Turns a notebook's YAML text into a typed `Notebook`, collecting every
/// problem of shape (unknown keys, wrong types, bad ids and paths) in one pass.
/// Cross-cell rules (needs, cycles, the split) are `NotebookValidator`'s.
public struct NotebookLoader: Sendable {
    public var reader = YAMLReader()

    public init() {}

    /// The notebook (nil when the document could not be read as a notebook at
    /// all) and every problem found, in source order.
    public struct Result: Sendable {
        public var notebook: Notebook?
        public var diagnostics: [Diagnostic]
    }

    public func load(_ source: SourceText) -> Result {
        let name = Self.stem(of: source.path)
        let root: YAMLNode?
        do {
            root = try reader.read(source.text)
        } catch {
            return Result(notebook: nil, diagnostics: [.yamlFailure(error)])
        }
        guard let root else {
            return Result(notebook: nil, diagnostics: [.emptyNotebook()])
        }
        var decoder = NotebookDecoder()
        let notebook = decoder.notebook(from: root, path: source.path, name: name)
        return Result(notebook: notebook, diagnostics: DiagnosticRenderer.sorted(decoder.diagnostics))
    }

    /// `notebooks/rag.yaml` -> `rag`.
    public static func stem(of path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        for suffix in [".yaml", ".yml"] where file.hasSuffix(suffix) && file.count > suffix.count {
            return String(file.dropLast(suffix.count))
        }
        return file
    }
}

/// The loader's working state: the diagnostics found so far.
struct NotebookDecoder {
    var diagnostics: [Diagnostic] = []

    mutating func notebook(from root: YAMLNode, path: String, name: String) -> Notebook? {
        guard case .mapping = root.kind else {
            diagnostics.append(.wrongType(what: "the notebook", expected: "a mapping with 'cells'", found: root))
            return nil
        }
        var notebook = Notebook(path: path, name: name)
        let fields = entries(of: root, fields: NotebookFormat.notebookFields, context: .topLevel)
        if let node = fields["splitbook"] {
            if case .scalar(let s) = node.kind, case .int(let v) = s.resolved, v != NotebookFormat.version {
                diagnostics.append(.unsupportedVersion(v, at: node.range))
            } else if check(node, .integer(minimum: nil, maximum: nil), what: "'splitbook'") {
                notebook.formatVersion = NotebookFormat.version
            }
        }
        if let node = fields["title"], check(node, .string(nil), what: "'title'") { notebook.title = node.scalar?.text }
        if let node = fields["description"], check(node, .string(nil), what: "'description'") {
            notebook.description = node.scalar?.text
        }
        if let node = fields["params"], check(node, NotebookFormat.type(of: "params", in: NotebookFormat.notebookFields), what: "'params'") {
            notebook.params = pairs(node).map { Param(name: located($0.key), value: json($0.value)) }
        }
        if let node = fields["env"], check(node, NotebookFormat.type(of: "env", in: NotebookFormat.notebookFields), what: "'env'") {
            notebook.env = environment(node)
        }
        if let node = fields["latency_budget_ms"], check(node, .number(exclusiveMinimum: 0), what: "'latency_budget_ms'") {
            notebook.latencyBudgetMs = number(node)
        }
        if let node = fields["python"] { notebook.python = python(node, owner: "the notebook") }
        guard let cellsNode = fields["cells"] else {
            diagnostics.append(.missingKey("cells", in: "the notebook", at: SourceRange(root.range.start),
                                           snippet: "cells:\n  - id: hello\n    code: echo hello"))
            return notebook
        }
        guard case .sequence(let items) = cellsNode.kind else {
            diagnostics.append(.wrongType(what: "'cells'", expected: FieldType.cells.phrase, found: cellsNode))
            return notebook
        }
        for (index, item) in items.enumerated() {
            if let cell = cell(from: item, position: index + 1) { notebook.cells.append(cell) }
        }
        return notebook
    }

    // MARK: Cells

    private mutating func cell(from node: YAMLNode, position: Int) -> Cell? {
        guard case .mapping(let pairs) = node.kind else {
            diagnostics.append(.wrongType(what: "cell #\(position)", expected: "a mapping (a code cell with 'id', or {markdown: TEXT})", found: node))
            return nil
        }
        if pairs.contains(where: { $0.key.scalar?.text == "markdown" }) {
            let fields = entries(of: node, fields: NotebookFormat.markdownFields, context: .markdownCell)
            guard let text = fields["markdown"], check(text, .string(nil), what: "'markdown'") else { return nil }
            return .markdown(MarkdownCell(text: text.scalar?.text ?? "", range: node.range))
        }
        let idNode = pairs.first { $0.key.scalar?.text == "id" }?.value
        let idText = idNode.flatMap { $0.scalar?.text }
        let context = LoadContext.codeCell(idText.map { "cell '\($0)'" } ?? "cell #\(position)")
        let fields = entries(of: node, fields: NotebookFormat.codeCellFields, context: context)
        guard let idNode else {
            diagnostics.append(.missingKey("id", in: "cell #\(position)", at: SourceRange(node.range.start),
                                           snippet: "- id: step_\(position)"))
            return nil
        }
        guard check(idNode, .string(.cellID), what: "the cell id") else { return nil }
        var cell = CodeCell(id: Located(CellID(idNode.scalar!.text), at: idNode.range), range: node.range)
        let what = { (key: String) in "'\(key)' in cell '\(cell.id.value)'" }
        for pair in pairs { if let key = pair.key.scalar?.text { cell.keyRanges[key] = pair.key.range } }

        func typed(_ key: String) -> YAMLNode? {
            guard let value = fields[key] else { return nil }
            return check(value, NotebookFormat.type(of: key, in: NotebookFormat.codeCellFields), what: what(key)) ? value : nil
        }
        if let node = typed("stage") { cell.stage = Stage(rawValue: node.scalar!.text)! }
        if let node = typed("interpreter") { cell.interpreter = strings(node) }
        if let node = typed("lang") {
            cell.language = Language(node.scalar!.text)
            if case .other(let name) = cell.language, cell.interpreter == nil {
                diagnostics.append(.unknownLanguage(name, cell: cell.id.value, at: node.range,
                                                    suggestion: Suggestion.closest(to: name, in: Language.known)))
            }
        }
        let code = typed("code")
        let file = typed("file")
        switch (code, file) {
        case (let code?, let file?):
            diagnostics.append(.codeAndFile(cell: cell.id.value, code: code.range, file: file.range))
        case (let code?, nil):
            cell.source = .inline(code.scalar!.text)
            cell.sourceRange = code.range
        case (nil, let file?):
            cell.source = .file(path(file))
            cell.sourceRange = file.range
        case (nil, nil):
            if fields["code"] == nil, fields["file"] == nil {
                diagnostics.append(.noCode(cell: cell.id.value, at: cell.id.range))
            }
        }
        if let node = typed("needs") { cell.needs = sequence(node).map { Located(CellID($0.scalar!.text), at: $0.range) } }
        if let node = typed("inputs") { cell.inputs = sequence(node).map(path) }
        if let node = typed("outputs") { cell.outputs = sequence(node).map(path) }
        if let node = typed("params") { cell.params = sequence(node).map(located) }
        if let node = typed("env") { cell.env = environment(node) }
        if let node = typed("secrets") { cell.secrets = sequence(node).map(located) }
        if let node = typed("publish") {
            cell.publish = self.pairs(node).map { Publication(artifact: Located(ArtifactName($0.key.scalar!.text), at: $0.key.range),
                                                         path: path($0.value)) }
        }
        if let node = typed("uses") {
            cell.uses = sequence(node).map { Located(ValuePattern.parseArtifactReference($0.scalar!.text)!, at: $0.range) }
        }
        if let node = typed("sample") {
            cell.sampleRange = node.range
            cell.samples = samples(node, cell: cell.id.value)
        }
        if let node = typed("timeout") { cell.timeout = number(node) }
        if let node = typed("cache") { cell.cache = node.scalar!.resolved == .bool(true) }
        if let node = typed("latency_budget_ms") { cell.latencyBudgetMs = number(node) }
        if let node = fields["python"] { cell.python = python(node, owner: "cell '\(cell.id.value)'") }
        if let node = fields["parity"] { cell.parity = parity(node, cell: cell.id.value) }
        if let node = typed("request_schema") { cell.requestSchema = Located(json(node), at: node.range) }
        if let node = typed("max_batch") { cell.maxBatch = integer(node) }
        if let node = typed("max_wait_ms") { cell.maxWaitMs = integer(node) }
        return .code(cell)
    }

    /// A `parity:` block; nil (with diagnostics) when it is malformed.
    private mutating func parity(_ node: YAMLNode, cell: CellID) -> ParitySpec? {
        guard check(node, .parity, what: "'parity' in cell '\(cell)'") else { return nil }
        let fields = entries(of: node, fields: NotebookFormat.parityFields, context: .parity("cell '\(cell)'"))
        guard let rows = fields["rows"] else {
            diagnostics.append(.missingKey("rows", in: "the parity block of cell '\(cell)'", at: SourceRange(node.range.start),
                                           snippet: "parity:\n  rows: evaluate/parity.jsonl"))
            return nil
        }
        var valid = check(rows, .string(.relativePath), what: "'rows' in the parity block of cell '\(cell)'")
        var tolerances: [ParitySpec.Tolerance] = []
        for key in ["tolerance", "relative"] {
            guard let value = fields[key] else {
                tolerances.append(.uniform(0))
                continue
            }
            if check(value, .tolerance, what: "'\(key)' in the parity block of cell '\(cell)'") {
                tolerances.append(tolerance(value))
            } else {
                valid = false
            }
        }
        guard valid else { return nil }
        return ParitySpec(rows: path(rows), tolerance: tolerances[0], relative: tolerances[1], range: node.range)
    }

    private func tolerance(_ node: YAMLNode) -> ParitySpec.Tolerance {
        if case .mapping(let pairs) = node.kind {
            var map: [String: Double] = [:]
            for pair in pairs { map[pair.key.scalar?.text ?? ""] = number(pair.value) ?? 0 }
            return .fields(map)
        }
        return .uniform(number(node) ?? 0)
    }

    /// A `python:` block; nil (with diagnostics) when it is malformed.
    private mutating func python(_ node: YAMLNode, owner: String) -> PythonSpec? {
        guard check(node, .python, what: "'python' in \(owner)") else { return nil }
        let fields = entries(of: node, fields: NotebookFormat.pythonFields, context: .python(owner))
        guard let requirementsNode = fields["requirements"] else {
            diagnostics.append(.missingKey("requirements", in: "the python block of \(owner)", at: SourceRange(node.range.start),
                                           snippet: "python:\n  requirements: [numpy>=2]"))
            return nil
        }
        let requirementsValid = check(requirementsNode, .requirements, what: "'requirements' in \(owner)")
        var version: Located<String>?
        if let node = fields["version"], check(node, .string(.pythonVersion), what: "'version' in the python block of \(owner)") {
            version = located(node)
        }
        guard requirementsValid, version != nil || fields["version"] == nil else { return nil }
        let requirements: PythonSpec.Requirements
        if case .sequence(let items) = requirementsNode.kind {
            requirements = .list(items.map(located))
        } else {
            requirements = .file(path(requirementsNode))
        }
        return PythonSpec(requirements: requirements, version: version, keyRange: node.range)
    }

    /// `sample: VALUE` is one request; `sample: {samples: [A, B]}` is several.
    private mutating func samples(_ node: YAMLNode, cell: CellID) -> [JSONValue] {
        if case .mapping(let pairs) = node.kind, pairs.count == 1, pairs[0].key.scalar?.text == "samples" {
            guard case .sequence(let items) = pairs[0].value.kind else {
                diagnostics.append(.wrongType(what: "'samples' in cell '\(cell)'", expected: "a list of requests", found: pairs[0].value))
                return []
            }
            return items.map(json)
        }
        return [json(node)]
    }

    // MARK: Mappings

    /// The known keys of a mapping, reporting unknown and duplicate keys.
    private mutating func entries(of node: YAMLNode, fields: [NotebookFormat.Field], context: LoadContext) -> [String: YAMLNode] {
        var found: [String: YAMLNode] = [:]
        var firstKey: [String: SourceRange] = [:]
        for pair in pairs(node) {
            guard let key = pair.key.scalar?.text else {
                diagnostics.append(.wrongType(what: "a key", expected: "a string", found: pair.key))
                continue
            }
            if let first = firstKey[key] {
                diagnostics.append(.duplicateKey(key, at: pair.key.range, first: first))
                continue
            }
            firstKey[key] = pair.key.range
            if fields.contains(where: { $0.name == key }) {
                found[key] = pair.value
            } else {
                diagnostics.append(.unknownKey(key, context: context, at: pair.key.range,
                                               suggestion: Suggestion.closest(to: key, in: fields.map(\.name)),
                                               validKeys: fields.map(\.name)))
            }
        }
        return found
    }

    // MARK: Type checks

    /// Checks `node` against `type`, reporting every mismatch; true when it fits.
    mutating func check(_ node: YAMLNode, _ type: FieldType, what: String) -> Bool {
        let before = diagnostics.count
        checkInto(node, type, what: what)
        return diagnostics.count == before
    }

    private mutating func checkInto(_ node: YAMLNode, _ type: FieldType, what: String) {
        let resolved = node.scalar?.resolved
        switch type {
        case .string(let pattern):
            guard case .string(let text)? = resolved else {
                return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
            if let pattern, let problem = pattern.problem(text) {
                diagnostics.append(.invalidValue(pattern, text, problem: problem, what: what, at: node.range))
            }
        case .integer(let minimum, let maximum):
            guard case .int(let value)? = resolved, value >= (minimum ?? .min), value <= (maximum ?? .max) else {
                return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
        case .number(let minimum):
            let value: Double
            switch resolved {
            case .int(let i)?: value = Double(i)
            case .double(let d)? where d.isFinite: value = d
            default: return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
            if let minimum, value <= minimum {
                diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
        case .boolean:
            guard case .bool? = resolved else {
                return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
        case .choice(let options):
            guard case .string(let text)? = resolved, options.contains(text) else {
                let suggestion = node.scalar.flatMap { Suggestion.closest(to: $0.text, in: options) }
                return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node, suggestion: suggestion))
            }
        case .list(let element, let minItems):
            guard case .sequence(let items) = node.kind else {
                return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node, listFix: true))
            }
            if items.count < minItems {
                diagnostics.append(.wrongType(what: what, expected: "a list of at least \(minItems) item", found: node))
            }
            for item in items { checkInto(item, element, what: "an entry of \(what)") }
        case .map(let keyPattern, let value):
            guard case .mapping(let pairs) = node.kind else {
                return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
            var seen: [String: SourceRange] = [:]
            for pair in pairs {
                checkInto(pair.key, .string(keyPattern), what: "a key of \(what)")
                if let key = pair.key.scalar?.text {
                    if let first = seen[key] { diagnostics.append(.duplicateKey(key, at: pair.key.range, first: first)) }
                    seen[key] = pair.key.range
                }
                checkInto(pair.value, value, what: "'\(pair.key.scalar?.text ?? "?")' in \(what)")
            }
        case .scalar:
            guard let resolved, resolved != .null else {
                return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
        case .json:
            switch node.kind {
            case .scalar(let s):
                if case .double(let d) = s.resolved, !d.isFinite {
                    diagnostics.append(.wrongType(what: what, expected: "a JSON value (JSON has no NaN or infinity)", found: node))
                }
            case .sequence(let items):
                for item in items { checkInto(item, .json, what: what) }
            case .mapping(let pairs):
                for pair in pairs {
                    if pair.key.scalar == nil {
                        diagnostics.append(.wrongType(what: "a key in \(what)", expected: "a string", found: pair.key))
                    }
                    checkInto(pair.value, .json, what: what)
                }
            }
        case .cells:
            guard case .sequence = node.kind else {
                return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
        case .python, .parity:
            guard case .mapping = node.kind else {
                return diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
        case .tolerance:
            if case .mapping = node.kind {
                checkInto(node, .map(key: .jsonPointer, value: .number(exclusiveMinimum: nil)), what: what)
                if case .mapping(let pairs) = node.kind, pairs.contains(where: { (number($0.value) ?? 0) < 0 }) {
                    diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
                }
            } else if (number(node) ?? -1) < 0 || node.scalar?.resolved == nil {
                diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node))
            }
        case .requirements:
            if case .sequence = node.kind {
                checkInto(node, .list(.string(.requirement), minItems: 0), what: what)
            } else if case .string? = resolved {
                checkInto(node, .string(.relativePath), what: what)
            } else {
                diagnostics.append(.wrongType(what: what, expected: type.phrase, found: node, listFix: true))
            }
        }
    }

    // MARK: Typed values (called only after `check` passed)

    private func pairs(_ node: YAMLNode) -> [YAMLPair] {
        if case .mapping(let pairs) = node.kind { return pairs }
        return []
    }

    private func sequence(_ node: YAMLNode) -> [YAMLNode] {
        if case .sequence(let items) = node.kind { return items }
        return []
    }

    private func strings(_ node: YAMLNode) -> [String] { sequence(node).compactMap { $0.scalar?.text } }

    private func located(_ node: YAMLNode) -> Located<String> { Located(node.scalar?.text ?? "", at: node.range) }

    private func path(_ node: YAMLNode) -> Located<RelativePath> {
        Located(ValuePattern.normalize(node.scalar?.text ?? ""), at: node.range)
    }

    private func integer(_ node: YAMLNode) -> Int? {
        guard case .int(let i)? = node.scalar?.resolved else { return nil }
        return i
    }

    private func number(_ node: YAMLNode) -> Double? {
        switch node.scalar?.resolved {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: return nil
        }
    }

    private func environment(_ node: YAMLNode) -> [EnvVariable] {
        pairs(node).map { EnvVariable(name: located($0.key), value: $0.value.scalar?.text ?? "") }
    }

    /// The JSON value of a node (aliases were bounded by the reader).
    func json(_ node: YAMLNode) -> JSONValue {
        switch node.kind {
        case .scalar(let s):
            switch s.resolved {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .double(let d): return .double(d)
            case .string(let t): return .string(t)
            }
        case .sequence(let items): return .array(items.map(json))
        case .mapping(let pairs):
            var object: [String: JSONValue] = [:]
            for pair in pairs { object[pair.key.scalar?.text ?? ""] = json(pair.value) }
            return .object(object)
        }
    }
}

/// Where a mapping sits, for messages about its keys.
enum LoadContext {
    case topLevel
    case markdownCell
    case codeCell(String)
    case python(String)
    case parity(String)

    var phrase: String {
        switch self {
        case .python(let owner): "in the python block of \(owner)"
        case .parity(let owner): "in the parity block of \(owner)"
        case .topLevel: "at the top level of the notebook"
        case .markdownCell: "in a markdown cell"
        case .codeCell(let name): "in \(name)"
        }
    }
}

extension NotebookFormat {
    static func type(of key: String, in fields: [Field]) -> FieldType {
        fields.first { $0.name == key }!.type
    }
}
