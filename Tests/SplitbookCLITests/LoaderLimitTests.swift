import Foundation
import SplitbookTestSupport
import Testing

/// Files refused before they are parsed, with a location, by the real binary.
@Suite("splitbook check: files too large or not UTF-8 (the real binary)")
struct LoaderLimitTests {
    static let limitMessage = "error: the notebook is larger than 8 MiB (8388608 bytes), the most splitbook reads; "
        + "keep large code or data in files ('file:', 'inputs')\n"

    @Test func aNotebookOverEightMiBIsRefusedAtItsFirstLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("big.yaml", "title: \"" + String(repeating: "x", count: 8 << 20) + "\"\ncells: []\n")
        let result = try Binary.run(["check", "big.yaml"], in: dir.url)
        #expect(result.status == 2)
        #expect(result.stderr == "big.yaml:1:1: " + Self.limitMessage)
    }

    @Test func anEndlessFileIsRefusedAfterReadingPastTheLimit() throws {
        let result = try Binary.run(["check", "/dev/zero"])
        #expect(result.status == 2)
        #expect(result.stderr == "/dev/zero:1:1: " + Self.limitMessage)
    }

    @Test func invalidUTF8IsReportedAtItsLineAndColumn() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var bytes = Data("cells:\r\n  - id: a\r\n    code: echo \u{2028}\u{E9}".utf8)
        bytes.append(contentsOf: [0xFF, 0x0A])
        try bytes.write(to: dir.url.appendingPathComponent("nb.yaml"))
        let result = try Binary.run(["check", "nb.yaml", Fixture.root.appendingPathComponent("valid/minimal.yaml").path], in: dir.url)
        #expect(result.status == 2)
        #expect(result.stderr == "nb.yaml:3:18: error: the notebook is not UTF-8 text: byte 0xFF here does not start "
                + "a valid UTF-8 character; save the file as UTF-8\n")
        #expect(result.stdout.contains("minimal.yaml: ok"), "the other notebooks are still checked")
    }
}
