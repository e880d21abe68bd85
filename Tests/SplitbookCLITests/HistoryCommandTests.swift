import Foundation
import SplitbookTestSupport
import Testing

@Suite("status, explain, runs, cache (the real binary)")
struct HistoryCommandTests {
    @Test func statusExecutesNothingAndSaysWhy() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        let never = try p.splitbook(["status", p.notebook])
        #expect(never.status == 0)
        #expect(never.stdout.contains("stale   a      never ran"))
        #expect(never.stdout.contains("stale   b      upstream a will rerun"))
        #expect(p.read("outputs/nb/a.txt") == nil, "status runs nothing")
        _ = try p.run()
        let clean = try p.splitbook(["status", p.notebook])
        #expect(clean.stdout.hasSuffix("4 cached, 0 would run\n"))
        let param = try p.splitbook(["status", p.notebook, "-p", "factor=5"])
        #expect(param.stdout.contains("stale   b      param factor 2 -> 5"))
        #expect(param.stdout.contains("stale   c      upstream b will rerun"))
        try p.write("notebooks/data/in.txt", "changed\n")
        let input = try p.splitbook(["status", p.notebook])
        #expect(input.stdout.contains("stale   a      input data/in.txt changed"))
        #expect(try p.run().ran == ["a", "b", "c"], "status changed nothing: the run still sees the edit")
    }

    @Test func explainDiffsTheKeyFieldByField() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        _ = try p.run()
        let same = try p.splitbook(["explain", p.notebook, "b"])
        #expect(same.status == 0)
        #expect(same.stdout.contains("cell 'b' (offline): cached"))
        #expect(same.stdout.contains("= params: {\"factor\":\"2\"}"))
        #expect(same.stdout.contains("unchanged since the last run: a cache hit"))
        let changed = try p.splitbook(["explain", p.notebook, "b", "-p", "factor=3"])
        #expect(changed.stdout.contains("* params: {\"factor\":\"3\"}\n    was: {\"factor\":\"2\"}"))
        #expect(changed.stdout.contains("changed: param factor 2 -> 3"))
        let unknown = try p.splitbook(["explain", p.notebook, "bb"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("did you mean 'b'?"))
    }

    @Test func runHistoryListShowCompare() throws {
        let p = try Project("""
            params:
              q: 1
            cells:
              - id: m
                params: [q]
                code: |
                  printf '{"score": %s}' "$PARAM_Q" > "$SPLITBOOK_METRICS"
            """)
        defer { p.remove() }
        let first = try #require(try p.run().report)
        let second = try #require(try p.run(["-p", "q=3"]).report)
        let third = try p.run(["-p", "q=3"])
        #expect(third.cell("m")?.metrics == ["score": 3], "a cache hit restores metrics")
        let list = try p.splitbook(["runs", "list"])
        #expect(list.stdout.split(separator: "\n").count == 3)
        #expect(list.stdout.contains("\(first.runID)  nb"))
        let show = try p.splitbook(["runs", "show", second.runID])
        #expect(show.stdout.contains("params: q=3"))
        #expect(show.stdout.contains("ran      m") && show.stdout.contains("score=3"))
        let compare = try p.splitbook(["runs", "compare", first.runID, second.runID])
        #expect(compare.stdout.contains("param q: 1 -> 3"))
        #expect(compare.stdout.contains("m: ran -> ran, key changed, score 1 -> 3 (+2)"))
        let missing = try p.splitbook(["runs", "show", "nope"])
        #expect(missing.status == 2)
    }

    @Test func gcKeepsRecentResultsAndDropsTheRest() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        _ = try p.run(["-p", "factor=1"])
        _ = try p.run(["-p", "factor=2"])
        let stats = try p.splitbook(["cache", "stats"])
        #expect(stats.stdout.contains("cache entries: 6"))
        let gc = try p.splitbook(["cache", "gc", "--keep-last", "1"])
        #expect(gc.status == 0)
        #expect(gc.stdout.hasPrefix("removed 2 cache entries"))
        #expect(try p.run(["-p", "factor=2"]).ran.isEmpty, "the kept run is still cached")
        #expect(try p.run(["-p", "factor=1"]).ran == ["b", "c"], "the collected results are gone")
    }

    @Test func gcClearsTheOldFanOutLayoutAndTheSpareFiles() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        _ = try p.run()
        let meta = p.url.appendingPathComponent("outputs/.splitbook").path
        let old = ["objects/ab/cdef0123", "steps/ab/abcdef.json"]
        for path in old {
            try FileManager.default.createDirectory(atPath: (meta + "/" + path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data("stale".utf8).write(to: URL(fileURLWithPath: meta + "/" + path))
        }
        #expect(FileManager.default.fileExists(atPath: meta + "/spare"), "a run leaves spare files to reuse")
        #expect(try p.splitbook(["cache", "gc"]).status == 0)
        for path in old + ["objects/ab", "steps/ab", "spare"] {
            #expect(!FileManager.default.fileExists(atPath: meta + "/" + path), "\(path) is gone")
        }
        #expect(try p.run().ran.isEmpty, "the current results are kept")
    }
}
