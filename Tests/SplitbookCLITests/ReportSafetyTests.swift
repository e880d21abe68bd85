import Foundation
import SplitbookTestSupport
import Testing

/// The injection vectors of `Tests/Fixtures/report-injection`, with `LISTENER` pointing at `host`.
struct InjectionVectors {
    /// One piece of the vectors file (or the whole SVG file) and what each vector in it does when embedded raw.
    struct Piece {
        var name: String
        var expected: [(id: String, effect: String)]
        var markdown: Bool
        var text: String
    }

    static let folder = Binary.packageRoot.appendingPathComponent("Tests/Fixtures/report-injection")
    let markdown: String
    let svg: String

    init(host: String) throws {
        func read(_ name: String) throws -> String {
            try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8).replacingOccurrences(of: "LISTENER", with: host)
        }
        markdown = try read("vectors.md")
        svg = try read("vectors.svg")
    }

    /// `<!-- vector N EFFECT [markdown]: what it is -->` -> (N, EFFECT, markdown).
    static func header(_ line: Substring) -> (id: String, effect: String, markdown: Bool)? {
        guard line.hasPrefix("<!-- vector "), let colon = line.firstIndex(of: ":") else { return nil }
        let words = line[line.index(line.startIndex, offsetBy: 12)..<colon].split(separator: " ")
        guard words.count >= 2 else { return nil }
        return (String(words[0]), String(words[1]), words.count > 2 && words[2] == "markdown")
    }

    /// Each vector of the Markdown file on its own, then the SVG file as one piece.
    var pieces: [Piece] {
        var out: [Piece] = []
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if let (id, effect, isMarkdown) = Self.header(line) {
                out.append(Piece(name: id, expected: [(id, effect)], markdown: isMarkdown, text: ""))
            } else if !out.isEmpty {
                out[out.count - 1].text += line + "\n"
            }
        }
        let inSVG = svg.split(separator: "\n").compactMap { Self.header($0.drop { $0 == " " }) }.map { (id: $0.id, effect: $0.effect) }
        return out + [Piece(name: "svg", expected: inSVG, markdown: false, text: svg)]
    }

    /// The text of vector `id`, trimmed.
    func text(of id: String) -> String {
        (pieces.first { $0.name == id }?.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The raw HTML of a vector: as written, or for Markdown vectors as markdown-it renders them with every link allowed.
    func rawHTML(_ pieces: [Piece]) throws -> [String] {
        let script = """
            import json, sys
            from markdown_it import MarkdownIt
            md = MarkdownIt("commonmark", {"html": True})
            md.validateLink = lambda url: True
            print(json.dumps([md.render(p["text"]) if p["markdown"] else p["text"] for p in json.load(sys.stdin)]))
            """
        let input = try JSONSerialization.data(withJSONObject: pieces.map { ["text": $0.text, "markdown": $0.markdown] as [String: Any] })
        let result = try Process.capture(try PythonEnvironment.python(), ["-c", script], stdin: input)
        guard result.status == 0, let html = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "markdown-it failed: \(result.stderr)"])
        }
        return html
    }

    /// A page that embeds every piece raw, each in its own iframe (so one cannot break another), plus the probe.
    func controlPage(probe: String) throws -> String {
        let pieces = self.pieces
        let frames = zip(pieces, try rawHTML(pieces)).map { piece, html in
            "<iframe data-vector=\"\(piece.name)\" srcdoc=\"\(ReportPages.escape(html))\"></iframe>"
        }
        return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>control</title></head><body>\n"
            + frames.joined(separator: "\n") + "\n<script>\(probe)</script></body></html>\n"
    }
}

/// Reading what Chromium left of a page.
enum ReportPages {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The start tag of the dumped DOM's html element, where the vectors and probes leave their marks.
    static func rootTag(_ dom: String) -> String {
        guard let start = dom.range(of: "<html"), let end = dom[start.upperBound...].firstIndex(of: ">") else { return "" }
        return String(dom[start.lowerBound...end])
    }

    /// The value of `name` on the html element, if set.
    static func rootAttribute(_ name: String, _ dom: String) -> String? {
        let tag = rootTag(dom)
        guard let start = tag.range(of: " \(name)=\"") else { return nil }
        return String(tag[start.upperBound...].prefix { $0 != "\"" })
    }

    /// A copy of `page` beside it with `script` run after the page's own content.
    static func withScript(_ page: URL, _ script: String, suffix: String) throws -> URL {
        let html = try String(contentsOf: page, encoding: .utf8)
        let copy = page.deletingPathExtension().appendingPathExtension("\(suffix).html")
        try html.replacingOccurrences(of: "</body>", with: "<script>\(script)</script></body>").write(to: copy, atomically: true, encoding: .utf8)
        return copy
    }
}

@Suite("Reports: nothing a notebook writes runs, fetches, or leaves a dangerous link (headless Chromium)", .serialized)
struct ReportSafetyTests {
    static let probe = (try? String(contentsOf: InjectionVectors.folder.appendingPathComponent("probe.js"), encoding: .utf8)) ?? ""

    /// The vectors in a markdown cell all together and in one each, in `.md`
    /// (all together and one each), `.html`, `.txt`, `.csv` and `.svg` display
    /// files, on stdout, in the title and a param; then one more cell.
    static func notebook(_ vectors: InjectionVectors) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        func quoted(_ s: String) throws -> String { String(decoding: try encoder.encode(s), as: UTF8.self) }
        let oneEach = try vectors.pieces.filter { $0.name != "svg" }.map { "  - markdown: \(try quoted($0.text))\n" }.joined()
        return """
            title: \(try quoted(vectors.text(of: "8")))
            params:
              note: \(try quoted(vectors.text(of: "1")))
            cells:
              - markdown: \(try quoted(vectors.markdown))
            \(oneEach)  - id: vectors
                inputs: [vectors.md, vectors.svg]
                code: |
                  cat vectors.md
                  for kind in md html txt csv; do cp vectors.md "$SPLITBOOK_DISPLAY/vectors.$kind"; done
                  awk '/^<!-- vector [0-9]+ / { n = $3 } n { print > (ENVIRON["SPLITBOOK_DISPLAY"] "/vector-" n ".md") }' vectors.md
                  cp vectors.svg "$SPLITBOOK_DISPLAY/vectors.svg"
              - id: after
                code: echo after the vectors
            """
    }

    @Test func reportsOfTheInjectionVectorsRunNothingAndFetchNothing() throws {
        let listener = try RecordingListener()
        defer { listener.stop() }
        let vectors = try InjectionVectors(host: listener.host)
        #expect(vectors.text(of: "8").contains("onerror") && vectors.text(of: "1").contains("<script>"), "title and param take vectors 8 and 1")
        let p = try Project(try Self.notebook(vectors), files: ["vectors.md": vectors.markdown, "vectors.svg": vectors.svg])
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 0, "\(run.result.stderr)")
        let export = try p.splitbook(["export", "html", p.notebook, "-o", "exported/report.html"])
        #expect(export.status == 0, "\(export.stderr)")

        for path in ["outputs/nb/report.html", "exported/report.html"] {
            let page = p.url.appendingPathComponent(path)
            let dom = try Chromium.dumpDOM(page)
            #expect(dom.contains("id=\"cell-after\""), "\(path) is no longer the report when the browser is done with it")
            let marks = ReportPages.rootTag(dom)
            #expect(!marks.contains("data-pwned"), "a vector ran in \(path): \(marks)")
            // What the sanitizer keeps: remote images (HTML and Markdown) as links showing their alt text.
            for (id, alt) in [("9", "a remote image"), ("54", "a markdown image")] {
                #expect(dom.contains("<a href=\"http://\(listener.host)/\(id)\">\(alt)</a>"), "\(path) lost vector \(id)'s link")
            }
            #expect(dom.contains("src=\"data:image/svg+xml;base64,"), "\(path) lost the svg display file")
            #expect(dom.contains("<p class=\"hint\">Not shown: audio, button, embed, form, iframe, input, math, object, script, style, svg"),
                    "\(path) does not say what it left out of vectors.html")

            let probed = try Chromium.dumpDOM(try ReportPages.withScript(page, Self.probe, suffix: "probed"))
            #expect(!ReportPages.rootTag(probed).contains("data-pwned"), "a vector ran in \(path): \(ReportPages.rootTag(probed))")
            #expect(!ReportPages.rootTag(probed).contains("data-bad"), "\(path) keeps a dangerous link, element or attribute: \(ReportPages.rootTag(probed))")
            #expect(ReportPages.rootAttribute("data-cells", probed) == "\(vectors.pieces.count + 2)", "the vectors broke the report's cards apart in \(path)")
            #expect(listener.requests.isEmpty, "\(path) fetched \(listener.requests)")
        }

        // Control: the same vectors embedded raw do run, fetch and link, in the same browser, with the same probe.
        let control = p.url.appendingPathComponent("control.html")
        try vectors.controlPage(probe: Self.probe).write(to: control, atomically: true, encoding: .utf8)
        let dead = Self.deadVectors(vectors, dom: try Chromium.dumpDOM(control), fetched: listener.requests)
        #expect(dead.isEmpty, "vectors that did nothing even raw (the harness could not have seen them): \(dead)")
    }

    /// The vectors whose declared effect (`runs`, `link`, `fetches`) did not show in the control page's DOM or the listener's log.
    static func deadVectors(_ vectors: InjectionVectors, dom: String, fetched: [String]) -> [String] {
        vectors.pieces.flatMap(\.expected).filter { $0.effect != "evasion" }.compactMap { id, effect in
            let shown = switch effect {
            case "runs": ReportPages.rootAttribute("data-pwned\(id)", dom) != nil
            case "link": ReportPages.rootAttribute("data-bad-href\(id)", dom) != nil
            case "fetches": fetched.contains { $0 == "/\(id)" || $0.hasPrefix("/\(id)/") || $0.hasPrefix("/\(id)?") }
            default: false
            }
            return shown ? nil : "\(id) \(effect)"
        }
    }

    /// Random mixtures of the vectors' pieces (tags cut anywhere, references,
    /// stray brackets, unclosed elements), 300 as `.html` and 300 as `.md`
    /// display files: the report stays inert, keeps its cards, and holds only allowed elements.
    @Test func randomMixturesOfTheVectorsStayInert() throws {
        let listener = try RecordingListener()
        defer { listener.stop() }
        let vectors = try InjectionVectors(host: listener.host)
        var random = SplitMix64(seed: 17)
        let fragments = InjectionVectors.fragments(of: vectors.markdown)
        var files: [String: String] = [:]
        for n in 0..<300 {
            let count = Int(random.next() % 60) + 1
            let doc = (0..<count).map { _ in fragments[Int(random.next() % UInt64(fragments.count))] }.joined()
            files["docs/doc-\(n).html"] = doc
            files["docs/doc-\(n).md"] = doc
        }
        let p = try Project("""
            cells:
              - id: mixtures
                inputs: [docs]
                code: cp docs/* "$SPLITBOOK_DISPLAY/"
              - id: after
                code: echo after the mixtures
            """, files: files)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 0, "\(run.result.stderr)")
        let page = p.url.appendingPathComponent("outputs/nb/report.html")
        #expect(p.read("outputs/nb/report.html")?.components(separatedBy: "<div class=\"html\">").count == 301, "every .html file is in the report")
        let probed = try Chromium.dumpDOM(try ReportPages.withScript(page, Self.probe, suffix: "probed"))
        let marks = ReportPages.rootTag(probed)
        #expect(!marks.contains("data-pwned") && !marks.contains("data-bad"), "\(marks)")
        #expect(ReportPages.rootAttribute("data-cells", probed) == "2", "the mixtures broke the report's cards apart")
        #expect(probed.contains("id=\"cell-after\""))
        #expect(listener.requests.isEmpty, "the report fetched \(listener.requests)")
    }
}

extension InjectionVectors {
    /// `text` cut into tags (complete or not), character references, runs of
    /// space and runs of other text, plus lone pieces of markup syntax.
    static func fragments(of text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: #"<[^>]*>?|&[#A-Za-z0-9]*;?|\s+|[^<&\s]+"#)
        let pieces = regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
        return pieces + ["<", ">", "</", "<!--", "-->", "--!>", "<![CDATA[", "]]>", "\"", "'", "=", "<svg>", "</svg>", "<math>", "<table>",
                         "<td>", "<p>", "</p>", "<li>", "<a href=javascript:x>", "<style>", "</style>", "<script>", "</script>", "&#0;", "\u{0}"]
    }
}
