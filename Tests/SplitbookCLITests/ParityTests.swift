import Foundation
import SplitbookEngine
import SplitbookSpec
import SplitbookTestSupport
import Testing

/// CONTRACT §12: the online half must reproduce what the offline half computed.
@Suite("Parity between the halves (the real binary)", .serialized)
struct ParityTests {
    /// An offline cell trains a "model" (a scale) and scores its rows; the online
    /// cell loads the model and scores requests. `skew` changes the online side only.
    static func notebook(rows: Int = 200, tolerance: String = "", skew: String = "0") -> String {
        """
        params:
          scale: 2
        cells:
          - id: evaluate
            lang: python
            params: [scale]
            outputs: [model.json, rows.jsonl]
            publish: {model: model.json}
            code: |
              import json, os
              scale = float(os.environ["PARAM_SCALE"])
              json.dump({"scale": scale}, open("model.json", "w"))
              with open("rows.jsonl", "w") as f:
                  for x in range(\(rows)):
                      f.write(json.dumps({"request": {"x": x}, "response": {"y": x * scale / 3, "label": "big" if x > 50 else "small"}}) + "\\n")
          - id: score
            stage: online
            lang: python
            uses: [model]
            sample: {x: 3}
            parity:
              rows: evaluate/rows.jsonl\(tolerance)
            code: |
              import json
              MODEL = json.load(open("artifacts/model"))
              def handle(request):
                  x = request["x"]
                  y = x * MODEL["scale"] / 3
                  if x == 70: y += \(skew)
                  return {"y": y, "label": "big" if x > 50 else "small"}
        """
    }

    @Test func anExactMatchPassesAndIsCached() throws {
        let p = try Project(Self.notebook())
        defer { p.remove() }
        let first = try p.run()
        #expect(first.result.status == 0, "\(first.result.stderr)")
        #expect(first.cell("score")?.metrics["parity_rows"] == 200)
        let again = try p.run()
        #expect(again.statuses["score"] == "cached")
        // New rows (another scale, the model with them): the check runs again.
        let changed = try p.run(["-p", "scale=5"])
        #expect(changed.statuses["score"] == "ran")
    }

    @Test func aSkewInOneFieldOfOneRowFailsNamingTheRowAndThePointer() throws {
        let p = try Project(Self.notebook(skew: "0.25"))
        defer { p.remove() }
        let run = try p.splitbook(["run", p.notebook])
        #expect(run.status == 1)
        #expect(run.stdout.contains("parity failed: the online half answers 1 of 200 offline rows differently"), "\(run.stdout)")
        #expect(run.stdout.contains("row at line 71: request {\"x\":70}"), "\(run.stdout)")
        #expect(run.stdout.contains("/y "), "\(run.stdout)")
        #expect(run.stdout.contains("difference 0.25 > allowed 0"), "\(run.stdout)")
        #expect(!run.stdout.contains("/label"), "only the differing pointer is named")
        // The report shows it too.
        #expect(p.read("outputs/nb/report.html")?.contains("row at line 71") == true)
    }

    @Test(arguments: [
        ("\n      tolerance: 0.3", true),                 // absolute, above the skew
        ("\n      tolerance: 0.2", false),                // absolute, below it
        ("\n      relative: 0.01", true),                 // 0.25 of 46.7 is 0.5%
        ("\n      relative: 0.001", false),
        ("\n      tolerance: {/y: 0.3}", true),           // per pointer
        ("\n      tolerance: {/label: 0.3}", false),      // a bound for another field does not cover /y
    ])
    func tolerancesAbsoluteRelativeAndPerField(tolerance: String, passes: Bool) throws {
        let p = try Project(Self.notebook(tolerance: tolerance, skew: "0.25"))
        defer { p.remove() }
        let run = try p.run()
        #expect(run.statuses["score"] == (passes ? "online" : "failed") || run.statuses["score"] == (passes ? "ran" : "failed"),
                "\(tolerance): \(run.statuses) \(run.result.stdout)")
        #expect(run.result.status == (passes ? 0 : 1))
    }

    @Test func checkValidatesTheRowsReference() throws {
        let p = try Project(Self.notebook().replacingOccurrences(of: "rows: evaluate/rows.jsonl", with: "rows: evaluate/scores.jsonl"))
        defer { p.remove() }
        let check = try p.splitbook(["check", p.notebook])
        #expect(check.status == 2)
        #expect(check.stderr.contains("notebooks/nb.yaml:22:13: error: parity rows 'evaluate/scores.jsonl': cell 'evaluate' does not declare the output 'scores.jsonl'"),
                "\(check.stderr)")
        #expect(check.stderr.contains("outputs: [..., scores.jsonl]"))
    }

    /// Rows are streamed: ten times the rows, about the same peak memory.
    @Test func rowsAreStreamedInConstantMemory() throws {
        func peakKiB(_ rows: Int) throws -> Int {
            let p = try Project(Self.notebook(rows: rows))
            defer { p.remove() }
            let result = try Process.capture(URL(fileURLWithPath: "/usr/bin/time"), ["-f", "peak %M", Binary.url.path, "run", p.notebook],
                                             in: p.url, environment: Binary.defaultEnvironment)
            #expect(result.status == 0, "\(result.stderr)")
            let line = result.stderr.split(separator: "\n").last { $0.hasPrefix("peak ") } ?? ""
            return Int(line.dropFirst(5)) ?? -1
        }
        let small = try peakKiB(10_000), large = try peakKiB(100_000)
        #expect(small > 0 && large > 0)
        // 100,000 parsed rows held at once would take far more than 20 MiB.
        #expect(large - small < 20 * 1024, "peak memory grew from \(small) KiB to \(large) KiB")
    }

    /// The bundle carries the rows; a reload whose artifacts fail them keeps
    /// the old generation, and requests during it see no error.
    @Test func serveRefusesAGenerationThatFailsTheRows() throws {
        let p = try Project(Self.notebook())
        defer { p.remove() }
        #expect(try p.run().result.status == 0)
        let export = try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", try NativeExecutables.staticELF().path])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(p.read("svc/parity/score.jsonl")?.split(separator: "\n").count == 200)
        #expect(p.read("svc/notebook.yaml")?.contains("parity: {rows: parity/score.jsonl}") == true)

        let port = HTTP.freePort()
        let base = "http://127.0.0.1:\(port)"
        let server = try launch(p, ["serve", "svc", "--port", "\(port)", "--workers", "2", "--registry", "outputs/registry"])
        defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
        #expect(HTTP.wait(for: base + "/readyz"))
        #expect(HTTP.request("POST", base + "/v1/score", body: #"{"x": 3}"#)?.body == #"{"label":"small","y":2}"#)

        // A new model version the bundle's rows were not computed with.
        #expect(try p.run(["-p", "scale=5"]).result.status == 0)
        nonisolated(unsafe) var statuses: [Int] = []
        let stop = Flag()
        let traffic = DispatchGroup()
        traffic.enter()
        DispatchQueue.global().async {
            while !stop.isSet { statuses.append(HTTP.request("POST", base + "/v1/score", body: #"{"x": 3}"#)?.status ?? 0) }
            traffic.leave()
        }
        let reload = HTTP.request("POST", base + "/admin/reload", timeout: 60)
        stop.set()
        traffic.wait()
        #expect(reload?.status == 500)
        #expect(reload?.body.contains("parity failed for /v1/score") == true, "\(reload?.body ?? "")")
        #expect(reload?.body.contains("row at line") == true)
        #expect(!statuses.isEmpty && statuses.allSatisfy { $0 == 200 }, "\(statuses.filter { $0 != 200 })")
        #expect(HTTP.request("POST", base + "/v1/score", body: #"{"x": 3}"#)?.body == #"{"label":"small","y":2}"#, "the old model still serves")
        let metrics = HTTP.request("GET", base + "/metrics")?.body ?? ""
        #expect(metrics.contains(#"splitbook_parity_failures_total{endpoint="score"} 1"#), "\(metrics)")

        // A fresh server on the skewed registry never becomes ready, and says why.
        let port2 = HTTP.freePort()
        let fresh = try launch(p, ["serve", "svc", "--port", "\(port2)", "--registry", "outputs/registry"])
        defer { kill(fresh.processIdentifier, SIGTERM); fresh.waitUntilExit() }
        #expect(eventually(seconds: 30) { HTTP.request("GET", "http://127.0.0.1:\(port2)/readyz")?.body.contains("parity failed") == true })
        #expect(HTTP.request("GET", "http://127.0.0.1:\(port2)/readyz")?.status == 503)
    }
}
