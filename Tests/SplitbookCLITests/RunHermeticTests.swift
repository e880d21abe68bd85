import Foundation
import SplitbookTestSupport
import Testing

@Suite("splitbook run: hermetic cells and failures (the real binary)")
struct RunHermeticTests {
    @Test func anUndeclaredReadFails() throws {
        let p = try Project("""
            cells:
              - id: a
                outputs: [a.txt]
                code: echo a > a.txt
              - id: b
                outputs: [b.txt]
                code: cat a.txt > b.txt
            """)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 1)
        #expect(run.statuses["b"] == "failed")
        #expect(run.cell("b")?.reasons.first == "cell 'b' exited with status 1")
        #expect(object(p, run.cell("b")?.stderr)?.contains("a.txt") == true)
    }

    @Test func modifyingAnInputInPlaceFails() throws {
        let p = try Project("""
            cells:
              - id: a
                outputs: [a.txt]
                code: echo a > a.txt
              - id: b
                inputs: [a.txt]
                outputs: [b.txt]
                code: echo more >> a.txt; cp a.txt b.txt
            """)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 1)
        #expect(run.cell("b")?.reasons.first == "cell 'b' modified its input 'a.txt' in place; inputs are read-only: write a new output instead")
        #expect(p.read("outputs/nb/a.txt") == "a\n", "the cached output is untouched")
        let again = try p.run()
        #expect(again.statuses == ["a": "cached", "b": "failed"], "a failing cell is not cached: it runs (and fails) again")
    }

    @Test func aMissingDeclaredOutputFailsAndUndeclaredFilesAreReported() throws {
        let p = try Project("""
            cells:
              - id: a
                outputs: [a.txt, b.txt]
                code: echo a > a.txt; echo junk > scratch.log
              - id: c
                outputs: [c.txt]
                code: echo c > c.txt; mkdir tmpdir; echo x > tmpdir/x
            """)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.cell("a")?.reasons.first == "cell 'a' exited 0 but did not write its declared output 'b.txt'")
        #expect(run.statuses["c"] == "ran")
        #expect(run.cell("c")?.warnings == ["cell 'c' wrote 'tmpdir/', which is not a declared output; it was not kept (add it to 'outputs' to keep it)"])
    }

    @Test func failureSkipsDownstreamButIndependentCellsRun() throws {
        let p = try Project("""
            cells:
              - id: bad
                outputs: [x.txt]
                code: echo boom >&2; exit 3
              - id: after
                inputs: [x.txt]
                code: cat x.txt
              - id: later
                needs: [after]
                code: "true"
              - id: fine
                outputs: [f.txt]
                code: echo ok > f.txt
            """)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 1)
        #expect(run.statuses == ["bad": "failed", "after": "skipped", "later": "skipped", "fine": "ran"])
        #expect(run.cell("after")?.reasons == ["upstream bad failed"])
        #expect(object(p, run.cell("bad")?.stderr) == "boom\n")
        let text = try p.splitbook(["run", p.notebook])
        #expect(text.status == 1)
        #expect(text.stdout.contains("| boom"), "the failing cell's stderr is shown")
    }

    @Test func theCellEnvironment() throws {
        let p = try Project("""
            params:
              top_k: 3
              tags: [a, b]
              unused: 1
            env:
              COMMON: yes-common
            cells:
              - id: sh
                params: [top_k, tags]
                env: {OWN: mine}
                outputs: [env.txt]
                code: |
                  {
                    echo "top_k=$PARAM_TOP_K tags=$PARAM_TAGS unused=${PARAM_UNUSED:-none}"
                    echo "common=$COMMON own=$OWN nb=$SPLITBOOK_NOTEBOOK cell=$SPLITBOOK_CELL"
                    cat "$SPLITBOOK_PARAMS"; echo
                    ls -A
                  } > env.txt
              - id: py
                lang: python
                params: [top_k]
                outputs: [py.txt]
                code: |
                  import splitbook
                  splitbook.metric("auc", 0.91)
                  splitbook.display([{"k": 1}, {"k": 2}], name="table")
                  open("py.txt", "w").write(repr(splitbook.params))
            """)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 0, "\(run.result.stdout)\(run.result.stderr)")
        #expect(p.read("outputs/nb/env.txt") == """
            top_k=3 tags=["a","b"] unused=none
            common=yes-common own=mine nb=nb cell=sh
            {"tags":["a","b"],"top_k":3}
            env.txt

            """, "the directory holds nothing but what the cell writes")
        #expect(p.read("outputs/nb/py.txt") == "{'top_k': 3}")
        #expect(run.cell("py")?.metrics == ["auc": 0.91])
    }

    /// Cells of a run share scratch directories one after another (see
    /// ScratchSlots): whatever a cell leaves behind must be gone for the next.
    @Test func aCellSeesNothingThePreviousCellLeftInItsScratchDirectory() throws {
        let p = try Project("""
            cells:
              - id: dirty
                lang: python
                outputs: [out.txt]
                code: |
                  import os, splitbook
                  tmp = os.environ["TMPDIR"]
                  open("out.txt", "w").write("ok")
                  open("undeclared.txt", "w").write("junk")
                  os.makedirs("sub/deeper")
                  open(tmp + "/junk.txt", "w").write("junk")
                  os.makedirs(tmp + "/junkdir")
                  open(tmp + "/lib/evil.py", "w").write("X = 1")
                  open(tmp + "/lib/splitbook.py", "w").write("raise SystemExit('tampered helper')")
                  open(os.environ["SPLITBOOK_PARAMS"], "w").write('{"leaked": 1}')
                  open(os.environ["SPLITBOOK_METRICS"], "w").write('{"leaked": 1}')
                  os.chmod(os.environ["SPLITBOOK_DISPLAY"], 0o500)
                  os.chmod(".", 0o500)
              - id: clean
                lang: python
                needs: [dirty]
                params: [k]
                outputs: [seen.txt]
                code: |
                  import os, splitbook
                  tmp = os.environ["TMPDIR"]
                  try:
                      import evil
                      planted = "evil importable"
                  except ImportError:
                      planted = "no evil"
                  with open("seen.txt", "w") as f:
                      f.write(repr(sorted(os.listdir("."))) + "\\n")
                      f.write(repr(sorted(os.listdir(tmp))) + "\\n")
                      f.write(repr(sorted(os.listdir(tmp + "/lib"))) + "\\n")
                      f.write(repr(os.listdir(os.environ["SPLITBOOK_DISPLAY"])) + "\\n")
                      f.write(repr(splitbook.params) + " " + planted + "\\n")
            params:
              k: 2
            """)
        defer { p.remove() }
        let run = try p.run(["--jobs", "1"])
        #expect(run.result.status == 0, "\(run.result.stdout)\(run.result.stderr)")
        #expect(run.cell("dirty")?.warnings.count == 2, "undeclared.txt and sub/ are reported")
        #expect(p.read("outputs/nb/seen.txt") == """
            ['seen.txt']
            ['clean.py', 'display', 'lib', 'params.json', 'stderr', 'stdout', 'work']
            ['splitbook.py']
            []
            {'k': 2} no evil

            """)
        #expect(run.cell("clean")?.metrics == [:], "no metrics carried over")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: p.url.path + "/outputs/.splitbook/tmp"))?.isEmpty == true,
                "scratch directories are removed at the end of the run")
    }

    @Test func secretsAreMaskedAndNotInTheKey() throws {
        let p = try Project("""
            cells:
              - id: s
                secrets: [API_TOKEN]
                outputs: [len.txt]
                code: |
                  echo "token is $API_TOKEN"; echo "err $API_TOKEN" >&2; printf %s "$API_TOKEN" | wc -c > len.txt
                  echo "$API_TOKEN" > "$TMPDIR/token"; echo "$API_TOKEN" > undeclared.txt
            """)
        defer { p.remove() }
        var env = ProcessInfo.processInfo.environment
        env["API_TOKEN"] = "s3cr3t-value"
        let run = try p.run(environment: env)
        #expect(object(p, run.cell("s")?.stdout) == "token is ***\n")
        #expect(object(p, run.cell("s")?.stderr) == "err ***\n")
        #expect(p.read("outputs/nb/len.txt")?.trimmingCharacters(in: .whitespacesAndNewlines) == "12")
        env["API_TOKEN"] = "another-secret"
        let second = try p.run(environment: env)
        #expect(second.ran.isEmpty, "a secret's value is not part of the key")
        let everything = try FileManager.default.subpathsOfDirectory(atPath: p.url.appendingPathComponent("outputs").path)
        for path in everything {
            let text = p.read("outputs/" + path) ?? ""
            #expect(!text.contains("s3cr3t-value"), "secret leaked into \(path)")
        }
    }

    @Test func aTimeoutKillsTheWholeProcessGroup() throws {
        let p = try Project("""
            cells:
              - id: slow
                timeout: 1
                code: |
                  (sleep 30; echo survived > "$HOME/never") &
                  echo $! > /tmp/splitbook-grandchild-$$
                  sleep 30
            """)
        defer { p.remove() }
        let started = Date()
        let run = try p.run()
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(run.cell("slow")?.reasons.first == "cell 'slow' timed out after 1 s; its processes were killed")
        // The grandchild (a subshell in the background) must be gone too.
        let pids = try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("splitbook-grandchild-") }
        #expect(!pids.isEmpty)
        for name in pids {
            let text = (try? String(contentsOfFile: "/tmp/" + name, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            try? FileManager.default.removeItem(atPath: "/tmp/" + name)
            guard let grandchild = Int32(text) else { continue }
            #expect(waitUntilGone(grandchild), "grandchild \(grandchild) still running")
        }
    }
}

/// Whether a process is running (not gone, not a zombie waiting to be reaped).
func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Polls for up to 5 s until `pid` is no longer running.
func waitUntilGone(_ pid: Int32) -> Bool {
    for _ in 0..<50 {
        if !isRunning(pid) { return true }
        usleep(100_000)
    }
    return false
}

@Suite("splitbook run --verbose (the real binary)")
struct VerboseRunTests {
    @Test func verboseStreamsEachLineAsTheCellPrintsIt() throws {
        let p = try Project("""
            cells:
              - id: talk
                secrets: [TOKEN]
                code: |
                  echo "first $TOKEN"
                  echo "to stderr" >&2
                  sleep 1
                  echo second
            """)
        defer { p.remove() }
        var env = ProcessInfo.processInfo.environment
        env["TOKEN"] = "hunter2"
        let result = try p.splitbook(["run", p.notebook, "--verbose"], environment: env)
        #expect(result.status == 0)
        #expect(result.stdout.contains("  start   talk: never ran\n"))
        #expect(result.stdout.contains("  talk | first ***\n"))
        #expect(result.stdout.contains("  talk ! to stderr\n"))
        #expect(result.stdout.contains("  talk | second\n"))
        #expect(!result.stdout.contains("hunter2"))
        // Streamed live: the first line comes out before the cell finishes.
        let lines = result.stdout.split(separator: "\n")
        let first = lines.firstIndex { $0.contains("talk | first") }, done = lines.firstIndex { $0.hasPrefix("  ran ") }
        #expect(first != nil && done != nil && first! < done!)
    }
}
