import Foundation
import SplitbookTestSupport
import Testing

@Suite("Reports at 1280 px: nothing is wider than its cell card unless it scrolls inside it (headless Chromium)", .serialized)
struct ReportLayoutTests {
    static let measure = (try? String(contentsOf: Binary.packageRoot.appendingPathComponent("Tests/Fixtures/report-layout/measure.js"),
                                      encoding: .utf8)) ?? ""

    /// Put before the measuring script in a control copy: a table of unbreakable
    /// words, too wide for any card, straight into the first code cell's card.
    static let wideTable = """
        const table = document.createElement("table");
        table.className = "control";
        table.innerHTML = "<tr>" + "<td>an_unbreakable_column_heading</td>".repeat(40) + "</tr>";
        document.querySelector(".cell.code").append(table);
        """

    /// What the measuring script found in a copy of `report` at 1280x900 (with `before` run first):
    /// the overflowing elements, after checking that it saw cards.
    static func overflowing(_ report: URL, before: String = "", suffix: String) throws -> (elements: [String], pageOverflow: String?, height: String?) {
        let dom = try Chromium.dumpDOM(try ReportPages.withScript(report, before + Self.measure, suffix: suffix), windowSize: "1280,900")
        let cards = Int(ReportPages.rootAttribute("data-cards", dom) ?? "") ?? 0
        #expect(cards > 1, "the measuring script found no cards in \(report.path)")
        return (Self.overflowList(dom), ReportPages.rootAttribute("data-page-overflow", dom), ReportPages.rootAttribute("data-page-height", dom))
    }

    /// Runs a teaching notebook, then measures a copy of its report at 1280x900,
    /// and a control copy with a too-wide table added, which must be caught.
    /// Screenshots of the report (first screen and whole page) go into the
    /// project's temporary folder, and into `$SPLITBOOK_SCREENSHOTS` when that names a folder.
    @Test("no card overflows", arguments: ["intro", "dataset_generation", "churn_model", "rag_assistant"])
    func noCardOverflows(_ name: String) throws {
        let p = try Project(bundled: name)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 0, "\(run.result.stderr)")
        let report = p.url.appendingPathComponent("outputs/\(name)/report.html")

        let measured = try Self.overflowing(report, suffix: "measured")
        #expect(measured.pageOverflow == "0", "\(name)'s report scrolls sideways at 1280 px")
        #expect(measured.elements.isEmpty, "in \(name)'s report at 1280 px:\n\(measured.elements.joined(separator: "\n"))")
        let control = try Self.overflowing(report, before: Self.wideTable, suffix: "control")
        #expect(control.elements.contains { $0.contains("table.control ends at") }, "the measurement missed the control's wide table: \(control.elements)")

        let height = min(Int(measured.height ?? "") ?? 900, 16_000)
        let shots = [("\(name)-1280x900.png", "1280,900"), ("\(name)-1280-full.png", "1280,\(height)")]
        for (file, size) in shots {
            let png = p.url.appendingPathComponent(file)
            try Chromium.screenshot(report, to: png, windowSize: size)
            if let keep = ProcessInfo.processInfo.environment["SPLITBOOK_SCREENSHOTS"] {
                let target = URL(fileURLWithPath: keep).appendingPathComponent(file)
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(at: png, to: target)
            }
        }
    }

    /// Wide Markdown tables, in a markdown cell and in a `.md` display file, scroll inside their cards.
    @Test func wideMarkdownTablesScrollInsideTheirCards() throws {
        let header = "| " + (1...16).map { "ColumnHeadingNumber\($0)" }.joined(separator: " | ") + " |"
        let table = [header, "|" + String(repeating: "---|", count: 16), "| " + (1...16).map { "Value\($0)" }.joined(separator: " | ") + " |"]
            .joined(separator: "\n")
        let p = try Project("""
            cells:
              - markdown: \(String(decoding: try JSONEncoder().encode("A table:\n\n" + table + "\n"), as: UTF8.self))
              - id: wide
                code: cp table.md "$SPLITBOOK_DISPLAY/table.md"
                inputs: [table.md]
            """, files: ["table.md": table + "\n"])
        defer { p.remove() }
        #expect(try p.run().result.status == 0)
        let report = p.url.appendingPathComponent("outputs/nb/report.html")
        #expect(p.read("outputs/nb/report.html")?.components(separatedBy: "ColumnHeadingNumber16").count == 3, "both tables are in the report")
        let measured = try Self.overflowing(report, suffix: "measured")
        #expect(measured.pageOverflow == "0")
        #expect(measured.elements.isEmpty, "\(measured.elements.joined(separator: "\n"))")
    }

    /// The lines the measuring script wrote into `<pre id="overflow">`.
    static func overflowList(_ dom: String) -> [String] {
        guard let start = dom.range(of: "<pre id=\"overflow\">", options: .backwards), let end = dom[start.upperBound...].range(of: "</pre>") else {
            return ["the measuring script did not run"]
        }
        let text = dom[start.upperBound..<end.lowerBound].replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        return text.split(separator: "\n").map(String.init)
    }
}
