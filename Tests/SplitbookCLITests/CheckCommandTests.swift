import Foundation
import SplitbookTestSupport
import Testing

@Suite("splitbook check, graph, schema (the real binary)")
struct CheckCommandTests {
    @Test func validNotebookExitsZeroWithASummary() throws {
        let result = try Binary.run(["check", Fixture.root.appendingPathComponent("valid/rag.yaml").path])
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(result.stdout.hasSuffix("rag.yaml: ok: 3 code cells (2 offline, 1 online)\n"))
    }

    @Test func invalidNotebookExitsTwoWithLocatedErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("notebooks/bad.yaml", "cells:\n  - id: clean\n    ouputs: [x]\n    code: echo\n")
        let result = try Binary.run(["check", "notebooks/bad.yaml"], in: dir.url)
        #expect(result.status == 2)
        #expect(result.stdout == "")
        #expect(result.stderr == """
            notebooks/bad.yaml:3:5: error: unknown key 'ouputs' in cell 'clean'
                ouputs: [x]
                ^~~~~~
            note: did you mean 'outputs'?

            """)
    }

    @Test func warningsDoNotFailTheCheck() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fixture = try dir.write("nb.yaml", Fixture.load("invalid/online-without-sample.yaml").text).path
        let result = try Binary.run(["check", fixture])
        #expect(result.status == 0)
        #expect(result.stderr.contains(": warning: online cell 'answer' has no 'sample'"))
        #expect(result.stdout.contains("1 warning"))
    }

    @Test func everyNotebookIsCheckedAndAnyErrorFails() throws {
        let good = Fixture.root.appendingPathComponent("valid/minimal.yaml").path
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bad = try dir.write("cycle.yaml", Fixture.load("invalid/cycle.yaml").text).path
        let result = try Binary.run(["check", bad, good])
        #expect(result.status == 2)
        #expect(result.stdout.contains("minimal.yaml: ok"))
        #expect(result.stderr.contains("cycle.yaml:5:13: error: dependency cycle: a -> b -> c -> a"))
    }

    @Test func missingFileIsAClearError() throws {
        let result = try Binary.run(["check", "/nonexistent/nb.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr == "/nonexistent/nb.yaml: error: no such notebook file\n")
    }

    @Test func billionLaughsFileIsRejected() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        text += "cells: *a9\n"
        try dir.write("lol.yaml", text)
        let result = try Binary.run(["check", "lol.yaml"], in: dir.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("lol.yaml:6:"))
        #expect(result.stderr.contains("error: YAML aliases would expand to more than 200000 nodes"))
    }

    @Test(arguments: ["text", "dot", "mermaid"])
    func graphFormats(format: String) throws {
        let result = try Binary.run(["graph", Fixture.root.appendingPathComponent("valid/rag.yaml").path, "--format", format])
        #expect(result.status == 0)
        #expect(result.stdout.contains("doc_index"))
        #expect(result.stdout.contains("answer"))
    }

    @Test func graphOfAnInvalidNotebookExitsTwo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bad = try dir.write("cycle.yaml", Fixture.load("invalid/cycle.yaml").text).path
        let result = try Binary.run(["graph", bad])
        #expect(result.status == 2)
        #expect(result.stderr.contains("error: dependency cycle"))
    }

    @Test func unknownFormatIsAUsageError() throws {
        let result = try Binary.run(["graph", "x.yaml", "--format", "png"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("png"))
    }

    @Test(arguments: ["check", "graph", "schema"])
    func helpShowsAnExample(command: String) throws {
        let result = try Binary.run([command, "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example:"))
        #expect(result.stdout.contains("splitbook \(command)"))
    }
}
