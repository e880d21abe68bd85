import Foundation
import SplitbookTestSupport
import Testing

/// Starts `splitbook ARGS` in the background and returns the process.
func launch(_ project: Project, _ arguments: [String], environment: [String: String]? = nil) throws -> Process {
    let process = Process()
    process.executableURL = Binary.url
    process.arguments = arguments
    process.currentDirectoryURL = project.url
    process.environment = environment ?? Binary.defaultEnvironment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Waits (up to 20 s) for a file to appear under the project.
func waitForFile(_ project: Project, _ path: String) -> Bool {
    for _ in 0..<200 {
        if FileManager.default.fileExists(atPath: project.url.appendingPathComponent(path).path) { return true }
        usleep(100_000)
    }
    return false
}

let slowChain = """
    cells:
      - id: first
        outputs: [first.txt]
        code: echo one > first.txt
      - id: slow
        inputs: [first.txt]
        outputs: [slow.txt]
        code: |
          touch "$HOME/started"
          echo partial > slow.txt
          sleep 3
          echo done >> slow.txt
      - id: last
        inputs: [slow.txt]
        outputs: [last.txt]
        code: cat slow.txt > last.txt
    """

@Suite("splitbook run: kill -9, interrupts, concurrent runs (the real binary)")
struct RunRobustnessTests {
    func environment(home: URL) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home.path
        return env
    }

    @Test func killNineMidCellThenARerunIsCorrect() throws {
        let p = try Project(slowChain)
        defer { p.remove() }
        let process = try launch(p, ["run", p.notebook], environment: environment(home: p.url))
        #expect(waitForFile(p, "started"))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try FileManager.default.removeItem(at: p.url.appendingPathComponent("started"))

        let rerun = try p.run(environment: environment(home: p.url))
        #expect(rerun.result.status == 0, "\(rerun.result.stderr)")
        #expect(rerun.statuses == ["first": "cached", "slow": "ran", "last": "ran"])
        #expect(p.read("outputs/nb/last.txt") == "partial\ndone\n")
        let again = try p.run(environment: environment(home: p.url))
        #expect(again.ran.isEmpty)
        // The dead run's scratch directory is cleaned up by the next run.
        let tmp = try FileManager.default.contentsOfDirectory(atPath: p.url.appendingPathComponent("outputs/.splitbook/tmp").path)
        #expect(tmp.isEmpty, "\(tmp)")
    }

    @Test func sigintStopsTheCellAndCachesNothingHalfDone() throws {
        let p = try Project(slowChain)
        defer { p.remove() }
        let process = try launch(p, ["run", p.notebook], environment: environment(home: p.url))
        #expect(waitForFile(p, "started"))
        let sent = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(sent) < 2.5, "the cell's sleep was interrupted")
        #expect(process.terminationStatus == 130)
        try FileManager.default.removeItem(at: p.url.appendingPathComponent("started"))
        let rerun = try p.run(environment: environment(home: p.url))
        #expect(rerun.statuses == ["first": "cached", "slow": "ran", "last": "ran"])
    }

    @Test func twoConcurrentRunsCorruptNothing() throws {
        let p = try Project("""
            params:
              n: 1
            cells:
              - id: a
                outputs: [a.txt]
                params: [n]
                code: sleep 1; echo "a$PARAM_N" > a.txt
              - id: b
                inputs: [a.txt]
                outputs: [b.txt]
                params: []
                code: cat a.txt a.txt > b.txt
            """)
        defer { p.remove() }
        let one = try launch(p, ["run", p.notebook])
        let two = try launch(p, ["run", p.notebook, "-p", "n=2"])
        one.waitUntilExit()
        two.waitUntilExit()
        #expect(one.terminationStatus == 0)
        #expect(two.terminationStatus == 0)
        // Whichever finished last, both parameterisations are now cached and correct.
        let n1 = try p.run(["-p", "n=1"])
        #expect(n1.ran.isEmpty)
        #expect(p.read("outputs/nb/b.txt") == "a1\na1\n")
        let n2 = try p.run(["-p", "n=2"])
        #expect(n2.ran.isEmpty)
        #expect(p.read("outputs/nb/b.txt") == "a2\na2\n")
    }
}
