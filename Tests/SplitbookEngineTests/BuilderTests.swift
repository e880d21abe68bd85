import Foundation
import SplitbookSpec
import SplitbookTestSupport
import Testing
@testable import SplitbookEngine

/// A notebook in a fresh directory, run in process with the recording runner.
struct InProcessNotebook {
    let dir: TemporaryDirectory
    let path: String
    var options = RunOptions()

    init(_ yaml: String, files: [String: String] = [:]) throws {
        dir = try TemporaryDirectory("splitbook-builder")
        path = try dir.write("nb.yaml", yaml).path
        for (name, text) in files { try dir.write(name, text) }
        options.outputs = dir.url.appendingPathComponent("outputs")
        options.registry = options.outputs.appendingPathComponent("registry")
    }

    func run(jobs: Int = 4, rendezvous: RecordingCellRunner.Rendezvous? = nil) throws -> (RunReport, RecordingCellRunner) {
        var options = self.options
        options.jobs = jobs
        let (runner, recorder) = try NotebookRunner.recording(path, options: options)
        recorder.rendezvous = rendezvous
        return (try runner.run(observer: nil), recorder)
    }

    func plan() throws -> RunReport { try NotebookRunner(file: try NotebookFile(path: path), options: options).plan().report }

    func remove() { dir.remove() }
}

extension RunReport {
    func status(_ id: String) -> Status? { cells.first { $0.id == id }?.status }
}

@Suite("The builder: order, parallelism and failures, with a recording runner (in process)")
struct BuilderTests {
    /// `root` feeds three independent cells that `join` reads.
    static let fan = """
        cells:
          - {id: root, outputs: [r.txt], code: emit r}
          - {id: a, inputs: [r.txt], outputs: [a.txt], code: emit a}
          - {id: b, inputs: [r.txt], outputs: [b.txt], code: emit b}
          - {id: c, inputs: [r.txt], outputs: [c.txt], code: emit c}
          - {id: join, inputs: [a.txt, b.txt, c.txt], outputs: [j.txt], code: emit j}
        """

    @Test func dependenciesRunFirstAndIndependentCellsOverlapUpToJobs() throws {
        let nb = try InProcessNotebook(Self.fan)
        defer { nb.remove() }
        let (report, recorder) = try nb.run(jobs: 3, rendezvous: .init(cells: ["a", "b", "c"], count: 3, timeout: 5))
        #expect(report.cells.allSatisfy { $0.status == .ran })
        #expect(recorder.started.first == "root" && recorder.finished.first == "root")
        #expect(recorder.started.last == "join")
        #expect(Set(recorder.finished.prefix(4)) == ["root", "a", "b", "c"], "join starts after all it reads")
        #expect(recorder.maxRunning == 3, "a, b and c ran at once")
    }

    @Test func neverMoreThanJobsAtOnce() throws {
        let nb = try InProcessNotebook(Self.fan)
        defer { nb.remove() }
        // Were a third let in, the three would meet; as it is, the first two give up waiting.
        let (_, recorder) = try nb.run(jobs: 2, rendezvous: .init(cells: ["a", "b", "c"], count: 3, timeout: 2))
        #expect(recorder.maxRunning == 2)
        #expect(recorder.started.count == 5)
    }

    @Test func aFailureSkipsWhatDependsOnItAndNothingElse() throws {
        let nb = try InProcessNotebook(Self.fan.replacingOccurrences(of: "code: emit b}", with: "code: fail}"))
        defer { nb.remove() }
        let (report, recorder) = try nb.run()
        #expect(report.status("b") == .failed)
        #expect(report.status("join") == .skipped)
        #expect(report.cells.first { $0.id == "join" }?.reasons == ["upstream b failed"])
        #expect(report.status("a") == .ran && report.status("c") == .ran)
        #expect(!recorder.started.contains("join"))
    }

    @Test func anIdenticalOutputKeepsWhatFollowsCached() throws {
        let nb = try InProcessNotebook(Self.fan)
        defer { nb.remove() }
        _ = try nb.run()
        try nb.dir.write("nb.yaml", Self.fan.replacingOccurrences(of: "code: emit r}", with: "code: \"emit r # reworded\"}"))
        let plan = try nb.plan()
        #expect(plan.status("root") == .stale)
        #expect(plan.cells.first { $0.id == "a" }?.reasons == ["upstream root will rerun"])
        let (report, recorder) = try nb.run()
        #expect(recorder.started == ["root"])
        #expect(report.cells.first { $0.id == "a" }?.earlyCutoff == true)
        #expect(report.cells.first { $0.id == "a" }?.reasons == ["kept: upstream root reran with identical output"])
    }
}
