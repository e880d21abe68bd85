import Foundation
import SplitbookTestSupport
import Testing

/// Every command that reads a notebook sees the same registry: `--registry`,
/// else `$SPLITBOOK_REGISTRY`, else `<outputs>/registry`.
@Suite("--outputs and --registry mean the same in every command (the real binary)")
struct LocationOptionTests {
    /// A notebook whose online cell uses an artifact that only the registry holds.
    static let servingOnly = """
        cells:
          - id: score
            stage: online
            uses: [model]
            sample: {"x": 1}
            lang: python
            code: |
              import json
              MODEL = json.load(open("artifacts/model"))
              def handle(request):
                  return {"y": MODEL["w"] * request["x"]}
        """

    @Test func statusAndExplainFindRegistryOnlyArtifacts() throws {
        let p = try Project(publisher)
        defer { p.remove() }
        let registry = registryDir(p)
        #expect(try p.run(["--registry", registry]).result.status == 0)
        try p.write("notebooks/serving.yaml", Self.servingOnly)

        for (flags, environment) in [(["--registry", registry], [String: String]?.none),
                                     ([], ProcessInfo.processInfo.environment.merging(["SPLITBOOK_REGISTRY": registry]) { $1 })] {
            let status = try p.splitbook(["status", "notebooks/serving.yaml"] + flags, environment: environment)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("score"), "\(status.stdout)")
            let explain = try p.splitbook(["explain", "notebooks/serving.yaml", "score"] + flags, environment: environment)
            #expect(explain.status == 0, "\(explain.stderr)")
            #expect(explain.stdout.contains("cell 'score' (online)"), "\(explain.stdout)")
            let check = try p.splitbook(["check", "notebooks/serving.yaml"] + flags, environment: environment)
            #expect(check.status == 0, "\(check.stderr)")
        }
        // Without the registry, the artifact is nowhere: a located error, exit 2.
        let missing = try p.splitbook(["status", "notebooks/serving.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("notebooks/serving.yaml:"), "\(missing.stderr)")
    }
}
