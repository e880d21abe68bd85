/// What the validator may ask of the world outside the notebook text. The
/// defaults assume every source file and artifact exists (pure checks only).
public struct ValidationContext: Sendable {
    /// Whether a path relative to the notebook's directory exists.
    public var sourceExists: @Sendable (RelativePath) -> Bool
    /// Whether the registry already holds an artifact.
    public var registryHas: @Sendable (ArtifactName) -> Bool

    public init(sourceExists: @escaping @Sendable (RelativePath) -> Bool = { _ in true },
                registryHas: @escaping @Sendable (ArtifactName) -> Bool = { _ in true }) {
        self.sourceExists = sourceExists
        self.registryHas = registryHas
    }
}

/// Checks the rules that span cells: ids, references, paths, params, the
/// graph's cycles and the offline/online split (CONTRACT §1, §6).
public struct NotebookValidator: Sendable {
    public let context: ValidationContext

    public init(context: ValidationContext = ValidationContext()) {
        self.context = context
    }

    public func validate(_ notebook: Notebook, graph: CellGraph) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let cells = graph.cells
        let paramNames = Set(notebook.params.map(\.name.value))
        var firstID: [CellID: SourceRange] = [:]
        var firstOutput: [RelativePath: (CellID, SourceRange)] = [:]
        var firstPublish: [ArtifactName: (CellID, SourceRange)] = [:]

        for env in notebook.env { out += reserved(env.name) }
        out += requirementsFile(notebook.python)
        for cell in cells {
            let id = cell.id.value
            if let python = cell.python {
                if cell.language == .python {
                    out += requirementsFile(python)
                } else {
                    out.append(.pythonNotPython(cell: id, language: cell.language.description, at: cell.keyRanges["python"] ?? python.keyRange))
                }
            }
            for (key, value) in [("max_batch", cell.maxBatch), ("max_wait_ms", cell.maxWaitMs)]
            where value != nil && (cell.stage != .online || cell.language != .python) {
                out.append(.batchingNotOnlinePython(cell: id, key: key, at: cell.keyRanges[key] ?? cell.id.range))
            }
            if let first = firstID[id] {
                out.append(.duplicateCellID(id, at: cell.id.range, first: first))
            } else {
                firstID[id] = cell.id.range
            }
            if case .file(let file) = cell.source, !context.sourceExists(file.value) {
                out.append(.missingSource(file.value, cell: id, isCodeFile: true, at: file.range, suggestion: nil))
            }
            for output in cell.outputs {
                if output.value.components.first == "artifacts" { out.append(.reservedPath(output.value, cell: id, at: output.range)) }
                if output.value.rawValue == "report.html" { out.append(.reservedReportPath(cell: id, at: output.range)) }
                if let (owner, range) = firstOutput[output.value] {
                    out.append(.duplicateOutput(output.value, cell: id, first: owner, at: output.range, firstRange: range))
                } else {
                    firstOutput[output.value] = (id, output.range)
                }
            }
            for publication in cell.publish {
                let artifact = publication.artifact.value
                if !cell.outputs.contains(where: { $0.value == publication.path.value }) {
                    out.append(.publishNotOutput(publication.path.value, artifact: artifact, cell: id, at: publication.path.range))
                }
                if let (owner, range) = firstPublish[artifact] {
                    out.append(.duplicatePublish(artifact, cell: id, first: owner, at: publication.artifact.range, firstRange: range))
                } else {
                    firstPublish[artifact] = (id, publication.artifact.range)
                }
            }
            for param in cell.params ?? [] where !paramNames.contains(param.value) {
                out.append(.unknownParam(param.value, cell: id, at: param.range,
                                         suggestion: Suggestion.closest(to: param.value, in: paramNames)))
            }
            var plainEnv: [String: SourceRange] = [:]
            for env in cell.env {
                out += reserved(env.name)
                plainEnv[env.name.value] = env.name.range
            }
            for secret in cell.secrets {
                out += reserved(secret)
                if let first = plainEnv[secret.value] { out.append(.envAndSecret(secret.value, at: secret.range, first: first)) }
            }
        }

        for (i, cell) in cells.enumerated() {
            let id = cell.id.value
            for need in cell.needs {
                if need.value == id {
                    out.append(.selfNeed(id, at: need.range))
                } else if graph.index[need.value] == nil {
                    out.append(.unknownNeed(need.value, cell: id, at: need.range,
                                            suggestion: Suggestion.closest(to: need.value.rawValue, in: graph.index.keys.map(\.rawValue))))
                }
            }
            for input in cell.inputs {
                if let producer = graph.producers[input.value] {
                    if producer == i { out.append(.selfInput(input.value, cell: id, at: input.range)) }
                } else if input.value.components.first == "artifacts" {
                    out.append(.reservedPath(input.value, cell: id, at: input.range))
                } else if !context.sourceExists(input.value) {
                    out.append(.missingSource(input.value, cell: id, isCodeFile: false, at: input.range,
                                              suggestion: Suggestion.closest(to: input.value.rawValue, in: graph.producers.keys.map(\.rawValue))))
                }
            }
            for use in cell.uses where graph.publishers[use.value.name] == nil && !context.registryHas(use.value.name) {
                out.append(.unpublishedArtifact(use.value.name, cell: id, at: use.range,
                                                suggestion: Suggestion.closest(to: use.value.name.rawValue, in: graph.publishers.keys.map(\.rawValue))))
            }
            out += SplitRules.check(cell: i, in: graph)
            if let parity = cell.parity { out += self.parity(parity, cell: i, in: graph) }
            if let schema = cell.requestSchema { out += requestSchema(schema, cell: i, in: graph) }
        }

        let (_, blocked) = graph.topologicalOrder()
        for loop in graph.cycles(among: blocked) where loop.count > 1 || loop[0].reason != .needs {
            out.append(.cycle(loop.map { edge in
                let reason: String
                switch edge.reason {
                case .needs: reason = "needs"
                case .input(let path): reason = "reads '\(path)', an output of"
                case .artifact(let name): reason = "uses artifact '\(name)', published by"
                case .parity(let path): reason = "checks its parity rows '\(path)', an output of"
                }
                return (graph.cells[edge.to].id.value, graph.cells[edge.from].id.value, reason, edge.range)
            }))
        }
        return out
    }

    /// A `parity:` block: on an endpoint, its rows an offline cell's declared output (or a file).
    private func parity(_ parity: ParitySpec, cell node: Int, in graph: CellGraph) -> [Diagnostic] {
        let cell = graph.cells[node]
        guard graph.isEndpoint(node) else {
            return [.parityNotEndpoint(cell: cell.id.value, offline: cell.stage == .offline, at: cell.keyRanges["parity"] ?? parity.range)]
        }
        switch parity.source(in: graph) {
        case .output(let producer, let path):
            let owner = graph.cells[producer]
            if owner.stage == .online { return [.parityRowsOnline(path, producer: owner.id.value, at: parity.rows.range)] }
            if !owner.outputs.contains(where: { $0.value == path }) {
                return [.parityRowsNotOutput(path, producer: owner.id.value, at: parity.rows.range)]
            }
        case .file(let path):
            if !context.sourceExists(path) { return [.parityRowsMissing(path, at: parity.rows.range)] }
        }
        return []
    }

    /// A `request_schema`: on an endpoint, usable, and its samples valid against it.
    private func requestSchema(_ schema: Located<JSONValue>, cell node: Int, in graph: CellGraph) -> [Diagnostic] {
        let cell = graph.cells[node]
        guard graph.isEndpoint(node) else { return [.requestSchemaNotEndpoint(cell: cell.id.value, at: cell.keyRanges["request_schema"] ?? schema.range)] }
        let problems = JSONSchemaValidator.problems(in: schema.value)
        guard problems.isEmpty else { return [.invalidRequestSchema(cell: cell.id.value, problems: problems, at: schema.range)] }
        let validator = JSONSchemaValidator(schema: schema.value)
        return (cell.samples ?? []).enumerated().compactMap { n, sample in
            validator.validate(sample).map { .sampleAgainstSchema(cell: cell.id.value, sample: n + 1, failure: $0, at: cell.sampleRange ?? cell.id.range) }
        }
    }

    /// A requirements file that does not exist.
    private func requirementsFile(_ python: PythonSpec?) -> [Diagnostic] {
        guard case .file(let file)? = python?.requirements, !context.sourceExists(file.value) else { return [] }
        return [.missingRequirementsFile(file.value, at: file.range)]
    }

    private func reserved(_ name: Located<String>) -> [Diagnostic] {
        name.value.hasPrefix("PARAM_") || name.value.hasPrefix("SPLITBOOK_") ? [.reservedEnvName(name.value, at: name.range)] : []
    }
}
