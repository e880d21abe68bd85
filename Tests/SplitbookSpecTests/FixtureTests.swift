import Foundation
import SplitbookSpec
import SplitbookTestSupport
import Testing

/// Checks a fixture the way `splitbook check` does: source files looked up
/// beside it, an empty registry.
func check(_ fixture: Fixture) -> NotebookCheck {
    let root = fixture.directory.path
    return NotebookCheck(source: fixture.source, context: ValidationContext(
        sourceExists: { FileManager.default.fileExists(atPath: root + "/" + $0.rawValue) },
        registryHas: { _ in false }))
}

@Suite("Fixtures")
struct FixtureTests {
    @Test("every invalid fixture reports exactly its marked diagnostics", arguments: Fixture.all("invalid"))
    func invalid(_ fixture: Fixture) {
        #expect(!fixture.expectations.isEmpty, "fixture states no expectations")
        let diagnostics = check(fixture).diagnostics
        let found = diagnostics.map { "\($0.range?.start ?? SourceLocation(line: 0, column: 0)): \($0.severity.rawValue) \($0.kind.rawValue)" }
        let wanted = fixture.expectations.map { "\($0.location): \($0.severity) \($0.kind)" }
        #expect(found.sorted() == wanted.sorted(), "\(fixture.name): \(diagnostics.map(\.message))")
        for expectation in fixture.expectations {
            let match = diagnostics.first { $0.range?.start == expectation.location && $0.kind.rawValue == expectation.kind }
            #expect(match?.message.contains(expectation.message) == true,
                    "\(fixture.name) \(expectation): got \(match?.message ?? "nothing")")
        }
    }

    @Test("valid fixtures have no diagnostics at all", arguments: Fixture.all("valid"))
    func valid(_ fixture: Fixture) {
        let result = check(fixture)
        #expect(result.diagnostics.isEmpty, "\(fixture.name): \(result.diagnostics.map(\.message))")
        #expect(result.notebook != nil)
    }

    @Test func everyDiagnosticKindHasAFixtureOrATest() {
        // Kinds covered elsewhere: YAML limits (YAMLLimitTests), version and run-time latency (SplitRuleTests).
        let coveredElsewhere: Set<DiagnosticKind> = [.yamlLimit, .unsupportedVersion, .latencyOverBudget, .selfInput,
                                                      .invalidEnvName, .invalidArtifactName, .invalidValue, .missingKey,
                                                      .duplicatePublish,
                                                      // Environments need an installer: EnvironmentTests.
                                                      .lockOutOfDate, .installFailed, .unlockedImport,
                                                      // Request schemas: RequestSchemaTests.
                                                      .invalidRequestSchema, .sampleAgainstSchema]
        let fromFixtures = Set(Fixture.all("invalid").flatMap(\.expectations).compactMap { DiagnosticKind(rawValue: $0.kind) })
        let missing = Set(DiagnosticKind.allCases).subtracting(fromFixtures).subtracting(coveredElsewhere)
        #expect(missing.isEmpty, "no fixture for: \(missing.map(\.rawValue).sorted())")
    }
}
