import Foundation
import SplitbookTestSupport
import Testing

/// A three-cell chain plus an independent cell, used by most run tests.
let chain = """
    params:
      factor: 2
      label: x
    cells:
      - id: a
        inputs: [data/in.txt]
        outputs: [a.txt]
        params: []
        code: cat data/in.txt > a.txt
      - id: b
        inputs: [a.txt]
        outputs: [b.txt]
        params: [factor]
        code: |
          cat a.txt > b.txt
          echo "factor=$PARAM_FACTOR" >> b.txt
      - id: c
        inputs: [b.txt]
        outputs: [c.txt]
        params: []
        code: cat b.txt b.txt > c.txt
      - id: other
        outputs: [o.txt]
        params: [label]
        code: echo "$PARAM_LABEL" > o.txt
    """

func object(_ project: Project, _ digest: String?) -> String? {
    guard let digest else { return nil }
    return project.read("outputs/.splitbook/objects/\(digest)")
}

@Suite("splitbook run: caching (the real binary)")
struct RunCachingTests {
    @Test func secondRunExecutesNothing() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        let first = try p.run()
        #expect(first.result.status == 0, "\(first.result.stderr)")
        #expect(first.ran == ["a", "b", "c", "other"])
        #expect(p.read("outputs/nb/c.txt") == "hello\nfactor=2\nhello\nfactor=2\n")
        let second = try p.run()
        #expect(second.result.status == 0)
        #expect(second.ran.isEmpty)
        #expect(Set(second.statuses.values) == ["cached"])
    }

    @Test func anEditRerunsExactlyItsDependentsAndRevertingIsAHit() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        _ = try p.run()
        let edited = chain.replacingOccurrences(of: "cat b.txt b.txt > c.txt", with: "cat b.txt > c.txt")
        try p.write(p.notebook, edited)
        let afterEdit = try p.run()
        #expect(afterEdit.ran == ["c"])
        #expect(afterEdit.cell("c")?.reasons == ["code changed"])
        try p.write(p.notebook, chain)
        let reverted = try p.run()
        #expect(reverted.ran.isEmpty, "changing it back is a cache hit")
        #expect(p.read("outputs/nb/c.txt") == "hello\nfactor=2\nhello\nfactor=2\n")
    }

    @Test func aParamReRunsOnlyTheCellsThatUseIt() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        _ = try p.run()
        let changed = try p.run(["-p", "label=y"])
        #expect(changed.ran == ["other"])
        #expect(changed.cell("other")?.reasons == [#"param label "x" -> "y""#])
        #expect(p.read("outputs/nb/o.txt") == "y\n")
        // label is back to its default: 'other' finds its first result in the cache.
        let factor = try p.run(["-p", "factor=3"])
        #expect(factor.ran == ["b", "c"])
        #expect(factor.statuses["other"] == "cached")
    }

    @Test func anInputEditThatKeepsSizeAndMtimeIsSeen() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        usleep(150_000)
        _ = try p.run()
        let file = p.url.appendingPathComponent("notebooks/data/in.txt").path
        var st = stat()
        stat(file, &st)
        try Data("HELLO\n".utf8).write(to: URL(fileURLWithPath: file))
        var times = [st.st_atim, st.st_mtim]
        utimensat(AT_FDCWD, file, &times, 0)
        let rerun = try p.run()
        #expect(rerun.ran == ["a", "b", "c"])
        #expect(rerun.cell("a")?.reasons == ["input data/in.txt changed"])
        #expect(p.read("outputs/nb/c.txt")?.hasPrefix("HELLO") == true)
    }

    @Test func earlyCutoffKeepsDependentsWhenOutputIsIdentical() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        _ = try p.run()
        // Same output, different code: a reruns, b and c stay cached.
        try p.write(p.notebook, chain.replacingOccurrences(of: "cat data/in.txt > a.txt", with: "cp data/in.txt a.txt"))
        let rerun = try p.run()
        #expect(rerun.ran == ["a"])
        #expect(rerun.cell("b")?.earlyCutoff == true)
        #expect(rerun.cell("b")?.reasons == ["kept: upstream a reran with identical output"])
        #expect(rerun.cell("c")?.status == "cached")
        let text = try p.splitbook(["run", p.notebook, "--force", "a"])
        #expect(text.stdout.contains("early cutoff kept 1 cell"), "\(text.stdout)")
    }

    @Test func aTamperedWorkspaceFileNeverLeaksDownstream() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        _ = try p.run()
        try p.write("outputs/nb/a.txt", "TAMPERED\n")
        // Edit b so it reruns: it must read a's real output, not the tampered copy.
        try p.write(p.notebook, chain.replacingOccurrences(of: "cat a.txt > b.txt", with: "cat a.txt > b.txt; echo again >> b.txt"))
        let rerun = try p.run()
        #expect(rerun.ran == ["b", "c"])
        #expect(p.read("outputs/nb/b.txt")?.hasPrefix("hello\n") == true)
        #expect(p.read("outputs/nb/a.txt") == "hello\n", "the workspace copy is restored")
    }

    @Test func aDeletedWorkspaceIsRestoredWithoutExecuting() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        _ = try p.run()
        try FileManager.default.removeItem(at: p.url.appendingPathComponent("outputs/nb"))
        let rerun = try p.run()
        #expect(rerun.ran.isEmpty)
        #expect(p.read("outputs/nb/c.txt") == "hello\nfactor=2\nhello\nfactor=2\n")
    }

    @Test func cacheFalseAlwaysRuns() throws {
        let p = try Project("""
            cells:
              - id: live
                cache: false
                outputs: [now.txt]
                code: date +%s%N > now.txt
            """)
        defer { p.remove() }
        #expect(try p.run().ran == ["live"])
        let second = try p.run()
        #expect(second.ran == ["live"])
        #expect(second.cell("live")?.reasons == ["cache: false (always runs)"])
    }

    @Test func forceAndOnly() throws {
        let p = try Project(chain, files: ["data/in.txt": "hello\n"])
        defer { p.remove() }
        let only = try p.run(["--only", "b"])
        #expect(only.ran == ["a", "b"])
        #expect(only.statuses["c"] == "excluded")
        #expect(try p.run().ran == ["c", "other"])
        let forced = try p.run(["--force", "b"])
        #expect(forced.ran == ["b"])
        #expect(forced.cell("b")?.reasons == ["forced"])
        #expect(try p.run(["--force"]).ran == ["a", "b", "c", "other"])
        let unknown = try p.splitbook(["run", p.notebook, "--only", "bb"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("did you mean 'b'?"))
        let badParam = try p.splitbook(["run", p.notebook, "-p", "factr=3"])
        #expect(badParam.status == 2)
        #expect(badParam.stderr.contains("the notebook has no param 'factr' (did you mean 'factor'?)"))
    }
}

@Suite("splitbook run: parallelism and progress (the real binary)")
struct RunProgressTests {
    /// Two independent cells that can only finish if they run at the same
    /// time: each waits (up to 20 s) for the other's marker in $HOME.
    static let rendezvous = """
        cells:
          - id: left
            timeout: 20
            code: |
              touch "$HOME/left"
              while [ ! -e "$HOME/right" ]; do sleep 0.05; done
          - id: right
            timeout: 20
            code: |
              touch "$HOME/right"
              while [ ! -e "$HOME/left" ]; do sleep 0.05; done
        """

    @Test func independentCellsRunInParallelWithJobs() throws {
        let p = try Project(Self.rendezvous)
        defer { p.remove() }
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = p.url.path
        let run = try p.run(["--jobs", "2"], environment: env)
        #expect(run.statuses == ["left": "ran", "right": "ran"], "\(run.result.stdout)")
    }

    @Test func oneJobRunsOneCellAtATime() throws {
        let p = try Project(Self.rendezvous.replacingOccurrences(of: "timeout: 20", with: "timeout: 1"))
        defer { p.remove() }
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = p.url.path
        let run = try p.run(["--jobs", "1"], environment: env)
        #expect(run.statuses["left"] == "failed", "left waits in vain for right, which has not started")
    }

    @Test func aTerminalGetsALiveLineAndPipesGetPlainLines() throws {
        let p = try Project("""
            cells:
              - id: slow
                code: sleep 1
            """)
        defer { p.remove() }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CI")
        let tty = try Process.capture(URL(fileURLWithPath: "/usr/bin/script"),
                                      ["-qec", "\(Binary.url.path) run \(p.notebook)", "/dev/null"], in: p.url, environment: env)
        #expect(tty.status == 0)
        #expect(tty.stdout.contains("running slow 0."), "the live line shows the running cell and its elapsed time")
        #expect(tty.stdout.contains("\r\u{1B}[K"))
        let piped = try p.splitbook(["run", p.notebook, "--force"], environment: env)
        #expect(!piped.stdout.contains("\u{1B}"), "no escape codes in a pipe")
        #expect(!piped.stderr.contains("\u{1B}"))
    }
}

@Suite("The bundled notebooks (the real binary)")
struct BundledNotebookRunTests {
    @Test(arguments: ["intro", "rag_assistant", "churn_model", "dataset_generation"])
    func runsColdThenFullyCached(name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.copyItem(at: Binary.packageRoot.appendingPathComponent("notebooks"), to: dir.url.appendingPathComponent("notebooks"))
        let cold = try Binary.run(["run", "notebooks/\(name).yaml", "--json"], in: dir.url)
        #expect(cold.status == 0, "\(cold.stderr)\(cold.stdout.suffix(2000))")
        let report = try JSONDecoder().decode(Report.self, from: Data(cold.stdout.utf8))
        #expect(report.cells.filter { $0.status == "ran" }.count >= 3)
        #expect(!report.cells.contains { $0.status == "failed" || $0.status == "skipped" })
        let warm = try Binary.run(["run", "notebooks/\(name).yaml", "--json"], in: dir.url)
        let again = try JSONDecoder().decode(Report.self, from: Data(warm.stdout.utf8))
        #expect(!again.cells.contains { $0.status == "ran" }, "a second run executes nothing")
    }
}
