import SplitbookSpec
import SplitbookTestSupport
import Testing

/// Checks an inline marked fixture: exactly the marked diagnostics, at their spots.
func expectDiagnostics(_ raw: String, registry: Set<String> = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let fixture = Fixture.inline(raw)
    let check = NotebookCheck(source: fixture.source, context: ValidationContext(registryHas: { registry.contains($0.rawValue) }))
    let found = check.diagnostics.map { "\($0.range?.start ?? .init(line: 0, column: 0)): \($0.severity.rawValue) \($0.kind.rawValue)" }
    let wanted = fixture.expectations.map { "\($0.location): \($0.severity) \($0.kind)" }
    #expect(found.sorted() == wanted.sorted(), "\(check.diagnostics.map(\.message))", sourceLocation: sourceLocation)
    for e in fixture.expectations {
        let match = check.diagnostics.first { $0.range?.start == e.location && $0.kind.rawValue == e.kind }
        #expect(match?.message.contains(e.message) == true, "\(e): \(match?.message ?? "-")", sourceLocation: sourceLocation)
    }
}

@Suite("Rules without a fixture file")
struct RuleTests {
    @Test func selfInput() {
        expectDiagnostics("""
            #! 1️⃣ error self-input: cell 'a' reads 'x.txt', which is its own output
            cells:
              - id: a
                inputs: [1️⃣x.txt]
                outputs: [x.txt]
                code: x
            """)
    }

    @Test func namesAndReferences() {
        expectDiagnostics("""
            #! 1️⃣ error invalid-env-name: 'BAD-NAME' is not a valid environment variable name
            #! 2️⃣ error invalid-artifact-name: '../model' is not a valid artifact name
            #! 3️⃣ error invalid-artifact-name: 'model@' is not a valid artifact reference
            #! 4️⃣ error invalid-value: 'top-k' is not a valid param name
            cells:
              - id: a
                env: {1️⃣BAD-NAME: 1}
                outputs: [m.bin]
                publish: {2️⃣../model: m.bin}
                uses: [3️⃣model@]
                code: x
            params: {4️⃣top-k: 3}
            """)
    }

    @Test func duplicatePublisherAndMissingID() {
        expectDiagnostics("""
            #! 1️⃣ error duplicate-publish: artifact 'model' is published by both 'a' and 'b'
            #! 2️⃣ error missing-key: cell #3 has no 'id'
            cells:
              - id: a
                outputs: [a.bin]
                publish: {model: a.bin}
                code: x
              - id: b
                outputs: [b.bin]
                publish: {1️⃣model: b.bin}
                code: x
              - 2️⃣code: x
            """)
    }

    @Test func secretAlsoInEnv() {
        expectDiagnostics("""
            #! 1️⃣ error reserved-env-name: 'TOKEN' is both a secret and a plain env entry
            cells:
              - id: a
                env: {TOKEN: x}
                secrets: [1️⃣TOKEN]
                code: x
            """)
    }

    @Test func artifactAlreadyInTheRegistryIsFine() {
        expectDiagnostics("""
            cells:
              - id: serve
                stage: online
                uses: [model@production]
                sample: {}
                code: cat
            """, registry: ["model"])
    }

    @Test func onlineChainIsAllowedAndOnlyTheEndpointNeedsASample() {
        expectDiagnostics("""
            cells:
              - id: features
                stage: online
                code: cat
              - id: score
                stage: online
                needs: [features]
                sample: {"x": 1}
                code: cat
            """)
    }

    @Test func onlineCellMayReadSharedSourceFiles() {
        expectDiagnostics("""
            cells:
              - id: train
                inputs: [lib/features.py]
                outputs: [model.json]
                publish: {model: model.json}
                code: x
              - id: score
                stage: online
                inputs: [lib/features.py]
                uses: [model]
                sample: {}
                code: x
            """)
    }

    @Test func onlineReadingAPublishedFileIsToldTheArtifactName() {
        let fixture = Fixture.inline("""
            cells:
              - id: index
                outputs: [index.json]
                publish: {doc_index: index.json}
                code: x
              - id: answer
                stage: online
                inputs: [index.json]
                sample: {}
                code: x
            """)
        let diagnostic = NotebookCheck(source: fixture.source).diagnostics.first
        #expect(diagnostic?.kind == .onlineReadsOfflineOutput)
        #expect(diagnostic?.notes.last?.snippet == "- id: answer\n  uses: [doc_index]   # then read artifacts/doc_index")
    }

    @Test func latencyBudgetMessageTeachesTheFix() {
        let d = Diagnostic.latencyOverBudget(cell: "answer", p95Ms: 312.4, budgetMs: 200, at: SourceRange(.init(line: 3, column: 9)))
        #expect(d.severity == .warning)
        #expect(d.message == "online cell 'answer' answered in 312 ms (p95) in this run, over its budget of 200 ms")
        #expect(d.notes.last?.snippet == "latency_budget_ms: 469")
    }

    @Test func everySplitMessageExplainsProductionAndGivesYAML() {
        for name in ["online-reads-offline-output", "online-needs-offline", "online-publishes", "online-needs-several",
                     "offline-needs-online", "offline-has-sample", "unpublished-artifact", "online-without-sample"] {
            let fixture = Fixture.load("invalid/\(name).yaml")
            let d = NotebookCheck(source: fixture.source, context: ValidationContext(registryHas: { _ in false })).diagnostics
                .first { $0.kind.rawValue == name }
            #expect(d != nil, "\(name)")
            #expect(d?.notes.contains { $0.snippet != nil } == true, "\(name) gives no YAML")
            #expect(d?.notes.first?.message.isEmpty == false)
        }
    }
}
