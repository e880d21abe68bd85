import Foundation
import SplitbookEngine
import SplitbookSpec
import SplitbookTestSupport
import Testing

/// `run --sweep` and `runs table` (issue 19): a grid of params through the cache.
@Suite("Sweeps and the runs table (the real binary)", .serialized)
struct SweepTests {
    /// `base` reads no param, `fa` reads a, `fab` reads a and b and writes metrics.
    static let notebook = """
    params:
      a: 1
      b: x
      pause: 0
    cells:
      - id: base
        params: []
        outputs: [base.txt]
        code: echo base > base.txt
      - id: fa
        params: [a]
        inputs: [base.txt]
        outputs: [fa.txt]
        code: echo "$PARAM_A" > fa.txt
      - id: fab
        lang: python
        params: [a, b, pause]
        inputs: [fa.txt]
        outputs: [fab.txt]
        code: |
          import json, os, time
          a, b = int(os.environ["PARAM_A"]), os.environ["PARAM_B"]
          time.sleep(float(os.environ["PARAM_PAUSE"]))
          open("fab.txt", "w").write(f"{a}{b}")
          json.dump({"score": a * 10 + len(b), "loss": 1.0 / (a + len(b))}, open(os.environ["SPLITBOOK_METRICS"], "w"))
    """

    static let grid = ["--sweep", "a=1,2", "--sweep", "b=[x, yy, zzz]"]

    /// The sweep's runs from the history, and how often each cell ran in them.
    static func executions(_ p: Project, sweep: String) -> (runs: Int, ran: [String: Int]) {
        let dir = p.url.appendingPathComponent("outputs/.splitbook/runs/nb")
        var runs = 0
        var ran: [String: Int] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path),
                  let run = try? JSONSerialization.jsonObject(with: data) as? [String: Any], run["sweep"] as? String == sweep else { continue }
            runs += 1
            for cell in run["cells"] as? [[String: Any]] ?? [] where cell["status"] as? String == "ran" { ran[cell["id"] as! String, default: 0] += 1 }
        }
        return (runs, ran)
    }

    static func sweepID(_ result: Binary.Result) -> String {
        result.stderr.split(separator: " ").first { $0.hasPrefix("sw-") }.map { String($0.trimmingCharacters(in: CharacterSet(charactersIn: ":"))) } ?? ""
    }

    @Test func aGridRunsEachCellOncePerDistinctInputAndARepeatIsFree() throws {
        let p = try Project(Self.notebook)
        defer { p.remove() }
        let first = try p.splitbook(["run", p.notebook] + Self.grid)
        #expect(first.status == 0, "\(first.stderr)")
        let id = Self.sweepID(first)
        #expect(id.count == 13)
        let counted = Self.executions(p, sweep: id)
        #expect(counted.runs == 6)
        #expect(counted.ran == ["base": 1, "fa": 2, "fab": 6])

        let again = try p.splitbook(["run", p.notebook] + Self.grid)
        #expect(Self.sweepID(again) == id, "the same sweep has the same id")
        let twice = Self.executions(p, sweep: id)
        #expect(twice.runs == 12)
        #expect(twice.ran == ["base": 1, "fa": 2, "fab": 6], "the repeated sweep executed nothing")
    }

    @Test func theTableHoldsEachPointsMetricsAndMarksTheBest() throws {
        let p = try Project(Self.notebook)
        defer { p.remove() }
        let run = try p.splitbook(["run", p.notebook] + Self.grid)
        let id = Self.sweepID(run)
        let table = try p.splitbook(["runs", "table", "nb", "--sweep", id, "--json"])
        #expect(table.status == 0, "\(table.stderr)")
        guard case .object(let doc)? = JSONValue.parseJSON(Data(table.stdout.utf8)), case .array(let rows)? = doc["rows"] else {
            Issue.record("not JSON: \(table.stdout)")
            return
        }
        #expect(doc["params"] == .array([.string("a"), .string("b")]), "only the swept params differ")
        #expect(rows.count == 6)
        for case .object(let row) in rows {
            guard case .object(let params)? = row["params"], case .int(let a)? = params["a"], case .string(let b)? = params["b"],
                  case .object(let metrics)? = row["metrics"] else { Issue.record("\(row)"); continue }
            // The value the cell wrote to its metrics file for this point.
            #expect(metrics["fab.score"]?.number == Double(a * 10 + b.count), "\(row)")
            let isBest = row["best"] == .array([.string("fab.loss"), .string("fab.score")])
            #expect(isBest == (a == 2 && b == "zzz"), "\(row)")
        }
        let csv = try p.splitbook(["runs", "table", "nb", "--sweep", id, "--csv", "--sort", "loss"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "run,started,status,a,b,fab.loss,fab.score,best")
        #expect(lines.dropFirst().first?.hasSuffix(",ok,2,zzz,0.2,23,fab.loss fab.score") == true, "\(csv.stdout)")
        let bad = try p.splitbook(["runs", "table", "nb", "--sort", "accuracy"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("no metric 'accuracy'"))
    }

    /// Ctrl-C stops the sweep; the same command resumes it, finished points being cache hits.
    @Test func anInterruptedSweepResumes() throws {
        let p = try Project(Self.notebook)
        defer { p.remove() }
        let args = ["run", p.notebook, "--sweep", "a=1,2", "--sweep", "b=[x, yy, zzz]", "-p", "pause=0.4"]
        let sweep = try BackgroundProcess(Binary.url, args, in: p.url, environment: Binary.defaultEnvironment)
        let runs = p.url.appendingPathComponent("outputs/.splitbook/runs/nb").path
        #expect(eventually(seconds: 60) { ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).filter { $0.hasSuffix(".json") }.count >= 2 })
        kill(sweep.process.processIdentifier, SIGINT)
        let stopped = sweep.finish()
        #expect(stopped.status == 130, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("run the same command again to resume"))
        let id = Self.sweepID(stopped)
        let before = Self.executions(p, sweep: id)
        #expect(before.runs < 6)

        let resumed = try p.splitbook(args)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = Self.executions(p, sweep: id)
        #expect(after.ran["base"] == 1 && after.ran["fa"] == 2)
        #expect(after.ran["fab"] == 6, "each point's own cell ran once over both attempts: \(after.ran)")
    }

    @Test func badSweepsAreUsageErrors() throws {
        let p = try Project(Self.notebook)
        defer { p.remove() }
        let unknown = try p.splitbook(["run", p.notebook, "--sweep", "alpha=1,2"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("--sweep alpha: the notebook has no param 'alpha'"), "\(unknown.stderr)")
        let both = try p.splitbook(["run", p.notebook, "--sweep", "a=1,2", "-p", "a=3"])
        #expect(both.status == 2)
        let range = try p.splitbook(["run", p.notebook, "--sweep", "a=range(1,2,0)"])
        #expect(range.status == 2)
    }

    /// The comparison page: self-contained, one mark per run in each (param, metric) plot, each linking to its run's report.
    @Test func theComparisonPageIsSelfContainedWithAMarkPerRun() throws {
        let p = try Project(Self.notebook)
        defer { p.remove() }
        let id = Self.sweepID(try p.splitbook(["run", p.notebook] + Self.grid))
        let result = try p.splitbook(["runs", "report", "nb", "--sweep", id, "-o", "pages/sweep.html"])
        #expect(result.status == 0, "\(result.stderr)")
        let html = p.read("pages/sweep.html") ?? ""
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href=\"http") && !html.contains("url("))
        // 2 swept params x 2 metrics = 4 plots, 6 runs each.
        #expect(html.components(separatedBy: "<figure>").count - 1 == 4)
        #expect(html.components(separatedBy: "<circle class=\"run\"").count - 1 == 24)
        let links = html.components(separatedBy: "href=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(Set(links).count == 6, "\(links)")
        for link in Set(links) {
            let target = p.url.appendingPathComponent("pages").appendingPathComponent(String(link)).standardizedFileURL
            #expect(FileManager.default.contents(atPath: target.path).map { String(decoding: $0, as: UTF8.self).contains("<html") } == true, "\(link)")
        }
    }
}
