/// The offline/online split rules (CONTRACT §6). Each message says what the
/// rule protects in production and gives the exact YAML that fixes it.
extension Diagnostic {
    static func onlineReadsOfflineOutput(_ path: RelativePath, cell: CellID, producer: CellID, publishedAs: ArtifactName?,
                                         at range: SourceRange) -> Diagnostic {
        Diagnostic(.onlineReadsOfflineOutput,
                   "online cell '\(cell)' reads '\(path)', a working file of offline cell '\(producer)'", at: range,
                   notes: [
                       Note("in production the online service runs apart from the batch job and never sees its working files; "
                            + "the only thing that crosses the boundary is what the offline side publishes to the registry"),
                       fixThroughRegistry(path: path, cell: cell, producer: producer, publishedAs: publishedAs),
                   ])
    }

    static func onlineNeedsOffline(cell: CellID, offline: CellID, offlinePublishes: [ArtifactName], at range: SourceRange) -> Diagnostic {
        let fix: Note
        if let artifact = offlinePublishes.first {
            fix = Note("drop the need and load what '\(offline)' publishes:", snippet: "- id: \(cell)\n  uses: [\(artifact)]")
        } else {
            fix = Note("publish what '\(offline)' builds and load it here instead of needing the cell:",
                       snippet: "- id: \(offline)\n  outputs: [model.json]\n  publish: {\(offline)_model: model.json}\n- id: \(cell)\n  stage: online\n  uses: [\(offline)_model]")
        }
        return Diagnostic(.onlineNeedsOffline, "online cell '\(cell)' needs offline cell '\(offline)'", at: range, notes: [
            Note("the service cannot wait for a batch step: in production they are separate programs that run at different times, "
                 + "and the service can only load what the batch job published"),
            fix,
        ])
    }

    static func onlinePublishes(cell: CellID, artifact: ArtifactName, at range: SourceRange) -> Diagnostic {
        Diagnostic(.onlinePublishes, "online cell '\(cell)' publishes '\(artifact)'; only offline cells publish", at: range, notes: [
            Note("a service that writes to the registry while serving makes every replica a publisher: versions race "
                 + "and no version can be traced to the run that built it"),
            Note("build and publish it in an offline cell, and load it here:",
                 snippet: "- id: build_\(artifact.rawValue.filter { $0.isLetter || $0.isNumber || $0 == "_" })\n  outputs: [\(artifact).json]\n  publish: {\(artifact): \(artifact).json}\n- id: \(cell)\n  stage: online\n  uses: [\(artifact)]"),
        ])
    }

    static func onlineHasOutputs(cell: CellID, at range: SourceRange) -> Diagnostic {
        Diagnostic(.onlineHasOutputs, "online cell '\(cell)' declares outputs; an online cell answers requests and writes no files",
                   at: range, notes: [
                       Note("a serving replica's disk is throw-away and not shared: a file written there is lost on restart and "
                            + "invisible to the other replicas"),
                       Note("return the data in the response (handle's return value), or write the file in an offline cell and publish it"),
                   ])
    }

    static func onlineNeedsSeveral(cell: CellID, upstream: [CellID], at range: SourceRange) -> Diagnostic {
        let names = upstream.map { "'\($0)'" }.joined(separator: ", ")
        return Diagnostic(.onlineNeedsSeveral, "online cell '\(cell)' needs \(upstream.count) online cells (\(names)); it may take its request from at most one",
                          at: range, notes: [
                              Note("a request flows through a chain: the upstream cell's response is this cell's request, "
                                   + "so a cell with two upstreams would have no single request"),
                              Note("chain them instead:", snippet: "- id: \(upstream[1])\n  needs: [\(upstream[0])]\n- id: \(cell)\n  needs: [\(upstream[1])]"),
                          ])
    }

    static func offlineNeedsOnline(cell: CellID, online: CellID, at range: SourceRange) -> Diagnostic {
        Diagnostic(.offlineNeedsOnline, "offline cell '\(cell)' needs online cell '\(online)'", at: range, notes: [
            Note("the batch job must run without the service: in production the service may be down, scaled to zero "
                 + "or serving another version, so the offline side can never depend on the online side"),
            Note("remove '\(online)' from 'needs'; code both sides share belongs in a source file that both cells list:",
                 snippet: "inputs: [lib/shared.py]"),
        ])
    }

    static func offlineHasSample(cell: CellID, at range: SourceRange) -> Diagnostic {
        Diagnostic(.offlineHasSample, "offline cell '\(cell)' has a 'sample', but samples are requests for online cells", at: range,
                   notes: [Note("if this cell answers requests, mark it online:", snippet: "- id: \(cell)\n  stage: online")])
    }

    static func unpublishedArtifact(_ artifact: ArtifactName, cell: CellID, at range: SourceRange, suggestion: String?) -> Diagnostic {
        var notes = [Note("the service would start with nothing to load and never become ready")]
        if let suggestion {
            notes.append(Note("did you mean '\(suggestion)'?", snippet: "uses: [\(suggestion)]"))
        } else {
            notes.append(Note("publish it from the offline cell that builds it:",
                              snippet: "- id: build\n  outputs: [\(artifact).json]\n  publish: {\(artifact): \(artifact).json}"))
        }
        return Diagnostic(.unpublishedArtifact,
                          "cell '\(cell)' uses artifact '\(artifact)', which no offline cell publishes and the registry does not have",
                          at: range, notes: notes)
    }

    static func onlineWithoutSample(cell: CellID, at range: SourceRange) -> Diagnostic {
        Diagnostic(.onlineWithoutSample, .warning, "online cell '\(cell)' has no 'sample'", at: range, notes: [
            Note("without a sample the notebook never calls it: its answers and latency go untested until the first real request"),
            Note("add one request (or several as {samples: [...]}):", snippet: "sample: {\"question\": \"...\"}"),
        ])
    }

    /// A run-time rule: the cell's measured p95 latency is over its budget.
    public static func latencyOverBudget(cell: CellID, p95Ms: Double, budgetMs: Double, at range: SourceRange) -> Diagnostic {
        let budget = budgetMs == budgetMs.rounded() ? String(Int(budgetMs)) : String(budgetMs)
        let suggested = Int((p95Ms * 1.5).rounded(.up))
        return Diagnostic(.latencyOverBudget, .warning,
                          "online cell '\(cell)' answered in \(Int(p95Ms.rounded())) ms (p95) in this run, over its budget of \(budget) ms",
                          at: range, notes: [
                              Note("every request pays this: move expensive work to load time (top-level code runs once per worker) "
                                   + "or into an offline cell that publishes its result"),
                              Note("or, if the time is justified, raise the budget:", snippet: "latency_budget_ms: \(suggested)"),
                          ])
    }

    private static func fixThroughRegistry(path: RelativePath, cell: CellID, producer: CellID, publishedAs: ArtifactName?) -> Note {
        if let publishedAs {
            return Note("'\(producer)' already publishes it as '\(publishedAs)'; load that instead:",
                        snippet: "- id: \(cell)\n  uses: [\(publishedAs)]   # then read artifacts/\(publishedAs)")
        }
        let stem = path.components.last.map { $0.split(separator: ".").first.map(String.init) ?? String($0) } ?? "artifact"
        let name = String(stem.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }.prefix(64))
        let artifact = name.isEmpty ? "artifact" : name
        return Note("publish it from '\(producer)' and load it here:",
                    snippet: "- id: \(producer)\n  publish: {\(artifact): \(path)}\n- id: \(cell)\n  uses: [\(artifact)]   # then read artifacts/\(artifact)")
    }
}
