import Foundation
import SplitbookTestSupport
import Testing

@Suite("splitbook check on every fixture (the real binary)")
struct FixtureCommandTests {
    @Test("invalid fixtures exit 2 (0 when only warnings) with each file:line:col", arguments: Fixture.all("invalid"))
    func invalidFixture(_ fixture: Fixture) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let name = fixture.url.lastPathComponent
        try dir.write(name, fixture.text)
        let result = try Binary.run(["check", name], in: dir.url)
        let onlyWarnings = fixture.expectations.allSatisfy { $0.severity == "warning" }
        #expect(result.status == (onlyWarnings ? 0 : 2), "\(result.stderr)")
        for e in fixture.expectations {
            #expect(result.stderr.contains("\(name):\(e.location.line):\(e.location.column): \(e.severity): "),
                    "\(fixture.name): \(e) not in\n\(result.stderr)")
        }
    }

    @Test("the bundled notebooks check clean, without warnings")
    func bundledNotebooks() throws {
        let dir = Binary.packageRoot.appendingPathComponent("notebooks")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names.count >= 4)
        let result = try Binary.run(["check"] + names.map { "notebooks/\($0)" }, in: Binary.packageRoot)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(result.stdout.split(separator: "\n").count == names.count)
    }
}
