import Foundation
import SplitbookTestSupport
import Testing

/// The sample results an online endpoint stored, as parsed JSON.
func sampleResults(_ p: Project, _ outcome: RunOutcome, _ id: String) throws -> [String: Any] {
    let digest = try #require(outcome.cell(id)?.samples, "no samples for \(id)")
    let text = try #require(object(p, digest))
    return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

let onlineNotebook = """
    params:
      scale: 10
    cells:
      - id: train
        params: [scale]
        outputs: [model.json]
        publish: {model: model.json}
        code: |
          printf '{"scale": %s}' "$PARAM_SCALE" > model.json
      - id: features
        stage: online
        lang: python
        code: |
          def handle(request):
              return {"x": request["x"], "x2": request["x"] * request["x"]}
      - id: score
        stage: online
        needs: [features]
        uses: [model]
        lang: python
        code: |
          import json, os
          MODEL = json.load(open("artifacts/model"))
          with open(os.path.join(os.environ["HOME"], "loads"), "a") as f:
              f.write("load\\n")
          def handle(request):
              return {"score": request["x2"] * MODEL["scale"]}
        sample:
          samples:
            - {"x": 2}
            - {"x": 3}
    """

@Suite("Online cells in notebook runs (the real binary)")
struct OnlineRunTests {
    func env(_ p: Project) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = p.url.path
        return env
    }

    @Test func samplesFlowThroughTheChainAndTheModuleLoadsOnce() throws {
        let p = try Project(onlineNotebook)
        defer { p.remove() }
        let run = try p.run(environment: env(p))
        #expect(run.result.status == 0, "\(run.result.stdout)\(run.result.stderr)")
        #expect(run.statuses == ["train": "ran", "features": "online", "score": "ran"])
        let results = try sampleResults(p, run, "score")
        #expect(results["chain"] as? [String] == ["features", "score"])
        let samples = try #require(results["samples"] as? [[String: Any]])
        #expect(samples.map { ($0["response"] as? [String: Any])?["score"] as? Int } == [40, 90])
        #expect((samples[0]["latencyMs"] as? [String: Double])?["p95"] != nil)
        #expect(p.read("loads") == "load\n", "top-level code ran once for 12 requests")
        #expect(run.cell("score")?.metrics["latency_p95_ms"] != nil)

        let again = try p.run(environment: env(p))
        #expect(again.statuses["score"] == "cached", "sample results are cached")
        #expect(try sampleResults(p, again, "score")["samples"] as? [[String: Any]] != nil)
        #expect(p.read("loads") == "load\n")

        let newModel = try p.run(["-p", "scale=100"], environment: env(p))
        #expect(newModel.statuses["score"] == "ran", "a new artifact version reruns the endpoint")
        let scores = (try sampleResults(p, newModel, "score")["samples"] as? [[String: Any]])?.map { ($0["response"] as? [String: Any])?["score"] as? Int }
        #expect(scores == [400, 900])
    }

    @Test func otherLanguagesRunOncePerRequest() throws {
        let p = try Project("""
            cells:
              - id: echo
                stage: online
                sample: {"q": "hi"}
                code: |
                  read request
                  printf '{"you said": %s}' "$request"
            """)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.statuses["echo"] == "ran", "\(run.result.stdout)")
        let samples = try #require(try sampleResults(p, run, "echo")["samples"] as? [[String: Any]])
        #expect((samples[0]["response"] as? [String: Any])?["you said"] as? [String: String] == ["q": "hi"])
    }

    @Test func aRaisingHandlerFailsTheEndpointWithItsTraceback() throws {
        let p = try Project("""
            cells:
              - id: broken
                stage: online
                lang: python
                sample: {"x": 1}
                code: |
                  def handle(request):
                      return request["missing"]
            """)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 1)
        let reason = run.cell("broken")?.reasons.first ?? ""
        #expect(reason.contains("sample 1 of 'broken' failed in 'broken': KeyError: 'missing'"))
        #expect(reason.contains("Traceback"))
        #expect(try p.run().statuses["broken"] == "failed", "failures are not cached")
    }

    @Test func aSlowEndpointIsWarnedAboutItsBudget() throws {
        let p = try Project("""
            cells:
              - id: slow
                stage: online
                lang: python
                latency_budget_ms: 5
                sample: {}
                code: |
                  import time
                  def handle(request):
                      time.sleep(0.02)
                      return {}
            """)
        defer { p.remove() }
        let text = try p.splitbook(["run", p.notebook])
        #expect(text.status == 0)
        #expect(text.stdout.contains("\nnotebooks/nb.yaml:2:9: warning: online cell 'slow' answered in"))
        #expect(text.stdout.contains("over its budget of 5 ms"))
        #expect(text.stdout.contains("latency_budget_ms: "))
    }

    @Test func ragSamplesReturnTheirExpectedSources() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.copyItem(at: Binary.packageRoot.appendingPathComponent("notebooks"), to: dir.url.appendingPathComponent("notebooks"))
        let result = try Binary.run(["run", "notebooks/rag_assistant.yaml", "--json"], in: dir.url)
        #expect(result.status == 0)
        let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        let digest = try #require(report.cells.first { $0.id == "answer" }?.samples)
        let data = try Data(contentsOf: dir.url.appendingPathComponent("outputs/.splitbook/objects/\(digest)"))
        let samples = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["samples"] as? [[String: Any]])
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.url.appendingPathComponent(
            "notebooks/data/rag/EXPECTED_SOURCES.json"))) as? [String: [String]])
        #expect(samples.count == expected.count)
        for sample in samples {
            let question = try #require((sample["request"] as? [String: Any])?["question"] as? String)
            let sources = ((sample["response"] as? [String: Any])?["sources"] as? [[String: Any]] ?? []).compactMap { $0["doc"] as? String }
            for doc in expected[question] ?? ["(question not in EXPECTED_SOURCES.json)"] {
                #expect(sources.contains(doc), "\(question): \(doc) not in \(sources)")
            }
        }
    }
}
