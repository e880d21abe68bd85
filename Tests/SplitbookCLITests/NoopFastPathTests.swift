import Foundation
import SplitbookTestSupport
import Testing

/// The replay line `run --verbose` prints when the no-op fast path answers.
let replayed = "nothing changed since the last run: replayed without loading the notebook"

let fastPathNotebook = """
    params:
      n: 1
    cells:
      - id: a
        inputs: [data/in.txt, data/dir]
        outputs: [a.txt]
        params: []
        code: cat data/in.txt data/dir/* > a.txt
      - id: b
        inputs: [a.txt]
        outputs: [b.txt, tree]
        params: [n]
        code: |
          cat a.txt > b.txt; echo "$PARAM_N" >> b.txt
          mkdir -p tree; cp b.txt tree/copy.txt
    """

/// A project whose last run was an all-cached one, stamped for the fast path.
func stampedProject() throws -> Project {
    let p = try Project(fastPathNotebook, files: ["data/in.txt": "in\n", "data/dir/x.txt": "x\n"])
    _ = try p.run()
    usleep(150_000)
    _ = try p.run()  // all cached: writes the stamp
    usleep(150_000)
    return p
}

@Suite("The no-op fast path (the real binary)")
struct NoopFastPathTests {
    @Test func anUnchangedRerunIsReplayedWithTheSameOutcome() throws {
        let p = try stampedProject()
        defer { p.remove() }
        let text = try p.splitbook(["run", p.notebook, "--verbose"])
        #expect(text.status == 0)
        #expect(text.stdout.contains(replayed))
        #expect(text.stdout.contains("  cached   a\n  cached   b\n"))
        #expect(text.stdout.contains("0 ran, 2 cached, 0 failed, 0 skipped in "))
        let json = try p.run()
        #expect(json.statuses == ["a": "cached", "b": "cached"], "--json replays the report too")
        let history = try p.splitbook(["runs", "list"]).stdout.split(separator: "\n")
        #expect(history.count == 4, "a replayed run is recorded in the history")
        let show = try p.splitbook(["runs", "show", String(history.last!.prefix(19))])
        #expect(show.status == 0, "\(show.stderr)")
    }

    /// Each change must defeat the fast path and give the right result.
    @Test(arguments: ["notebook", "input", "new file in input dir", "workspace edit", "workspace delete", "object delete",
                      "param", "only", "PATH"])
    func everyChangeFallsBackToTheFullComputation(change: String) throws {
        let p = try stampedProject()
        defer { p.remove() }
        var arguments = ["run", p.notebook, "--verbose"]
        var environment = ProcessInfo.processInfo.environment
        var expectRan: [String] = []
        switch change {
        case "notebook":
            try p.write(p.notebook, fastPathNotebook.replacingOccurrences(of: "cat a.txt > b.txt", with: "cat a.txt >b.txt"))
            expectRan = ["b"]
        case "input":
            try p.write("notebooks/data/in.txt", "IN\n")
            expectRan = ["a", "b"]
        case "new file in input dir":
            try p.write("notebooks/data/dir/y.txt", "y\n")
            expectRan = ["a", "b"]
        case "workspace edit":
            try p.write("outputs/nb/tree/copy.txt", "tampered")
        case "workspace delete":
            try FileManager.default.removeItem(at: p.url.appendingPathComponent("outputs/nb/a.txt"))
        case "object delete":
            let objects = p.url.appendingPathComponent("outputs/.splitbook/objects")
            for dir in try FileManager.default.contentsOfDirectory(atPath: objects.path) {
                try FileManager.default.removeItem(at: objects.appendingPathComponent(dir))
            }
            expectRan = ["a", "b"]
        case "param":
            arguments += ["-p", "n=2"]
            expectRan = ["b"]
        case "only":
            arguments += ["--only", "a"]
        case "PATH":
            environment["PATH"] = "/usr/bin:/bin:" + (environment["PATH"] ?? "")
        default:
            Issue.record("unknown change \(change)")
        }
        let result = try p.splitbook(arguments, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains(replayed), "\(change): the fast path answered")
        for id in ["a", "b"] {
            let ran = result.stdout.contains("  ran      \(id)")
            #expect(ran == expectRan.contains(id), "\(change): cell \(id) ran=\(ran)\n\(result.stdout)")
        }
        if change.hasPrefix("workspace") {
            #expect(p.read("outputs/nb/tree/copy.txt") == "in\nx\n1\n")
            #expect(p.read("outputs/nb/a.txt") == "in\nx\n")
        }
    }
}
