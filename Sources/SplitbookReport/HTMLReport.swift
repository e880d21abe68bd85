import Foundation
import SplitbookEngine
import SplitbookMarkdown
import SplitbookSpec

/// The run report (`outputs/NAME/report.html`, `splitbook export html`): one
/// self-contained HTML file (styles inline, images as data URIs, no scripts,
/// nothing fetched from the network) showing the split as a picture, then
/// every cell in notebook order with its status, timing, code, output,
/// display items, metrics and, for online endpoints, the samples.
public struct HTMLReport {
    public let document: RunDocument

    /// Values that change between otherwise identical runs. A no-op rerun
    /// fills them into a template rendered with `placeholders`.
    public struct Header: Sendable {
        public var runID: String
        public var started: String
        public var duration: String

        public static let placeholders = Header(runID: "@RUN_ID@", started: "@STARTED@", duration: "@DURATION@")
    }

    public init(document: RunDocument) { self.document = document }

    public func html(header: Header? = nil) -> String {
        let run = document.run
        let header = header ?? Header(runID: run.runID, started: ISOTime.string(run.startedAt), duration: DurationText.format(run.duration))
        let title = document.notebook.title ?? document.notebook.name
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="splitbook">
        <title>\(HTMLText.escape(title)) · splitbook run \(HTMLText.escape(header.runID))</title>
        <style>\(Self.style)</style>
        </head>
        <body>
        <main>

        """
        out += "<header class=\"run\">\n<h1>\(HTMLText.escape(title))</h1>\n"
        out += "<p class=\"meta\"><code>\(HTMLText.escape(run.notebookPath))</code> · run <code>\(HTMLText.escape(header.runID))</code>"
        out += " · started \(HTMLText.escape(header.started)) · took \(HTMLText.escape(header.duration))</p>\n"
        out += summary() + params() + "</header>\n"
        out += "<section class=\"picture\">\n<h2>The split</h2>\n"
        out += "<p class=\"hint\">Offline cells run as a batch job and publish to the registry; online cells load what was published and answer requests. The registry is all they share.</p>\n"
        let statuses = Dictionary(run.cells.map { ($0.id, $0.status) }, uniquingKeysWith: { $1 })
        out += "<div class=\"scroll\">" + GraphPicture(graph: document.graph, statuses: statuses, versions: document.artifactVersions).svg + "</div>\n</section>\n"
        out += "<section class=\"cells\">\n"
        for item in document.items {
            switch item {
            case .markdown(let text): out += "<section class=\"cell markdown\">\(Self.supplied(Self.markdown(text)))</section>\n"
            case .code(let code): out += cell(code)
            }
        }
        out += "</section>\n<footer>Written by splitbook. Every cell above ran in its own directory and saw only what it declared.</footer>\n"
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    private func summary() -> String {
        let run = document.run
        var badges: [String] = []
        for status in [RunReport.Status.ran, .cached, .failed, .skipped, .online, .excluded] {
            let n = run.count(status)
            if n > 0 { badges.append("<span class=\"badge \(status.rawValue)\">\(n) \(status.rawValue)</span>") }
        }
        var text = "<p class=\"summary\">" + badges.joined(separator: " ")
        if run.saved > 0 { text += " <span class=\"saved\">the cache saved \(DurationText.format(run.saved))</span>" }
        return text + "</p>\n"
    }

    private func params() -> String {
        let run = document.run
        guard !run.params.isEmpty else { return "" }
        let rows = run.params.keys.sorted().map { "<tr><th>\(HTMLText.escape($0))</th><td><code>\(HTMLText.escape(run.params[$0]!))</code></td></tr>" }
        return "<table class=\"params\"><caption>params</caption>\(rows.joined())</table>\n"
    }

    private func cell(_ item: RunDocument.CodeItem) -> String {
        let cell = item.cell
        let status = item.result?.status
        var out = "<section class=\"cell code \(cell.stage.rawValue) \(status?.rawValue ?? "none")\" id=\"cell-\(HTMLText.escape(item.id))\">\n"
        out += "<header><span class=\"stage \(cell.stage.rawValue)\">\(cell.stage.rawValue)</span> "
        out += "<h3>\(HTMLText.escape(item.id))</h3> <span class=\"lang\">\(HTMLText.escape(cell.language.description))</span> "
        out += "<span class=\"badge \(status?.rawValue ?? "none")\">\(status?.rawValue ?? "not run")</span>"
        if let result = item.result {
            if result.status == .cached {
                out += " <span class=\"time\">restored · saved \(DurationText.format(result.saved))</span>"
            } else if result.status == .ran || result.status == .failed {
                out += " <span class=\"time\">\(DurationText.format(result.duration))</span>"
            }
            if result.earlyCutoff { out += " <span class=\"note\">kept: upstream reran with identical output</span>" }
        }
        out += "</header>\n"
        if let reasons = item.result?.reasons, !reasons.isEmpty {
            out += "<p class=\"reasons\">\(reasons.map { HTMLText.escape($0) }.joined(separator: "; "))</p>\n"
        }
        out += io(item)
        let source = "<pre class=\"source\"><code>\(HTMLText.escape(item.code))</code></pre>"
        let lines = item.code.split(separator: "\n", omittingEmptySubsequences: false).count
        // Long code is folded so the outputs stay in view; a click (no script) unfolds it.
        out += lines > 25 ? "<details class=\"source\"><summary>code, \(lines) lines</summary>\(source)</details>\n" : source + "\n"
        if !item.stdout.isEmpty { out += "<pre class=\"stdout\" title=\"stdout\">\(HTMLText.escape(item.stdout))</pre>\n" }
        if !item.stderr.isEmpty { out += "<pre class=\"stderr\" title=\"stderr\">\(HTMLText.escape(item.stderr))</pre>\n" }
        for file in item.display { out += display(file) }
        if let metrics = item.result?.metrics, !metrics.isEmpty {
            let rows = metrics.keys.sorted().map { "<tr><th>\(HTMLText.escape($0))</th><td>\(Self.number(metrics[$0]!))</td></tr>" }
            out += "<table class=\"metrics\"><caption>metrics</caption>\(rows.joined())</table>\n"
        }
        if let samples = item.samples { out += self.samples(samples) }
        for warning in item.result?.warnings ?? [] { out += "<p class=\"warning\">\(HTMLText.escape(warning))</p>\n" }
        return out + "</section>\n"
    }

    private func io(_ item: RunDocument.CodeItem) -> String {
        let cell = item.cell
        var parts: [String] = []
        func code(_ items: [String]) -> String { items.map { "<code>\(HTMLText.escape($0))</code>" }.joined(separator: ", ") }
        if !cell.inputs.isEmpty { parts.append("reads " + code(cell.inputs.map(\.value.rawValue))) }
        if !cell.outputs.isEmpty { parts.append("writes " + code(cell.outputs.map(\.value.rawValue))) }
        if !cell.publish.isEmpty {
            let published = item.result?.published ?? [:]
            let items = cell.publish.map { p -> String in
                let name = p.artifact.value.rawValue
                let version = published[name].map { " v\($0)" + ((item.result?.newVersions.contains(name) ?? false) ? " (new)" : "") } ?? ""
                return "<code>\(HTMLText.escape(name))</code>\(version)"
            }
            parts.append("publishes " + items.joined(separator: ", "))
        }
        if !cell.uses.isEmpty { parts.append("uses " + code(cell.uses.map(\.value.description))) }
        if !cell.needs.isEmpty { parts.append("after " + code(cell.needs.map(\.value.rawValue))) }
        return parts.isEmpty ? "" : "<p class=\"io\">\(parts.joined(separator: " · "))</p>\n"
    }

    private func display(_ file: RunDocument.DisplayFile) -> String {
        let caption = "<figcaption>\(HTMLText.escape(file.name))</figcaption>"
        switch file.kind {
        case .image(let mime):
            return "<figure class=\"display\">\(caption)<img alt=\"\(HTMLText.escape(file.name))\" src=\"data:\(mime);base64,\(file.data.base64EncodedString())\"></figure>\n"
        case .table(let separator):
            let table = DelimitedTable(file.text, separator: separator)
            var out = "<figure class=\"display\">\(caption)<div class=\"scroll tall\">\(table.html(cssClass: "data"))</div>"
            if table.omitted > 0 { out += "<p class=\"hint\">\(table.omitted) more rows not shown</p>" }
            return out + "</figure>\n"
        case .markdown:
            return "<figure class=\"display\">\(caption)<div class=\"md\">\(Self.supplied(Self.markdown(file.text)))</div></figure>\n"
        case .html:
            return "<figure class=\"display\">\(caption)<div class=\"html\">\(Self.supplied(file.text))</div></figure>\n"
        case .json:
            let text = JSONValue.parseJSON(file.data)?.prettyJSON() ?? file.text
            return "<figure class=\"display\">\(caption)<pre>\(HTMLText.escape(text))</pre></figure>\n"
        case .text:
            return "<figure class=\"display\">\(caption)<pre>\(HTMLText.escape(file.text))</pre></figure>\n"
        }
    }

    private func samples(_ set: RunDocument.SampleSet) -> String {
        var out = "<div class=\"samples\"><p class=\"hint\">Samples through <code>\(HTMLText.escape(set.chain.joined(separator: " → ")))</code>: "
        out += "p50 \(Self.number(set.p50)) ms, p95 \(Self.number(set.p95)) ms over \(set.repetitions) calls each after a warm-up.</p>"
        out += "<div class=\"scroll\"><table class=\"data\"><tr><th>request</th><th>response</th><th>p50 ms</th></tr>"
        for s in set.samples {
            out += "<tr><td><pre>\(HTMLText.escape(s.request.prettyJSON()))</pre></td><td><pre>\(HTMLText.escape(s.response.prettyJSON()))</pre></td>"
            out += "<td class=\"ms\">\(Self.number(s.p50))</td></tr>"
        }
        return out + "</table></div></div>\n"
    }

    /// HTML the notebook supplied, sanitised, with a note naming what was left out.
    static func supplied(_ html: String) -> String {
        let cleaned = HTMLSanitizer.clean(html)
        guard !cleaned.removed.isEmpty else { return cleaned.html }
        return cleaned.html + "<p class=\"hint\">Not shown: \(cleaned.removed.joined(separator: ", ")). "
            + "A report runs no scripts and loads nothing from elsewhere.</p>"
    }

    static func markdown(_ text: String) -> String { Markdown.html(text) }

    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        return String(format: abs(v) >= 100 ? "%.1f" : "%.3g", v)
    }

    static let style = """
    :root{--fg:#1d2330;--muted:#5b6475;--bg:#fff;--panel:#f6f7f9;--line:#e2e5ea;--off:#2f6fdf;--on:#8a3ffc;--reg:#c27c0e;--ran:#1f8a4c;--cached:#2f6fdf;--failed:#d0312d;--skipped:#8a8f98}
    @media (prefers-color-scheme:dark){:root{--fg:#e6e8ec;--muted:#9aa3b2;--bg:#14171c;--panel:#1c2028;--line:#2c323d}}
    *{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif}
    main{max-width:1040px;margin:0 auto;padding:24px 20px 60px}h1{margin:0 0 4px;font-size:1.7em}h2{font-size:1.2em;margin:0 0 6px}
    code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}.meta,.hint,footer{color:var(--muted)}
    .summary{display:flex;flex-wrap:wrap;gap:6px;align-items:center}.saved{color:var(--ran);font-weight:600}
    .badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:.8em;font-weight:600;color:#fff;background:var(--skipped)}
    .badge.ran{background:var(--ran)}.badge.cached{background:var(--cached)}.badge.failed{background:var(--failed)}.badge.online{background:var(--on)}
    table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}caption{text-align:left;color:var(--muted);font-size:.85em}
    .scroll{overflow-x:auto}.picture{margin:18px 0 26px}
    svg.split{font:12px system-ui,sans-serif;max-width:none}svg.split.fit{max-width:100%;height:auto}p code,li code{font-size:.88em;line-height:1}svg .lane{stroke:none}svg .lane.offline{fill:rgba(47,111,223,.07)}svg .lane.registry{fill:rgba(194,124,14,.09)}svg .lane.online{fill:rgba(138,63,252,.07)}
    svg .lane-title{font-weight:700;fill:var(--fg);font-size:13px}svg .lane-subtitle{fill:var(--muted)}
    svg .node rect{fill:var(--bg);stroke:var(--skipped);stroke-width:1.5}svg .node.ran rect{stroke:var(--ran)}svg .node.cached rect{stroke:var(--cached)}svg .node.failed rect{stroke:var(--failed);fill:rgba(208,49,45,.08)}
    svg .node.online rect{stroke:var(--on)}svg .node.artifact rect{stroke:var(--reg);stroke-dasharray:4 2}svg .label{font-weight:600;fill:var(--fg)}svg .detail{fill:var(--muted);font-size:11px}
    svg path.flow,svg path.publish,svg path.uses{fill:none;stroke:var(--muted);stroke-width:1.3;marker-end:url(#arrow)}svg path.publish{stroke:var(--reg);stroke-dasharray:5 3}svg path.uses{stroke:var(--on);stroke-dasharray:5 3}svg .arrowhead{fill:var(--muted)}
    .cell{margin:14px 0}.cell.code{border:1px solid var(--line);border-left:4px solid var(--off);border-radius:8px;padding:10px 14px;background:var(--panel)}
    .cell.code.online{border-left-color:var(--on)}.cell.code.failed{border-left-color:var(--failed)}
    .cell header{display:flex;flex-wrap:wrap;gap:8px;align-items:center}.cell h3{margin:0;font-size:1.05em}
    .stage{font-size:.75em;font-weight:700;text-transform:uppercase;letter-spacing:.04em;color:var(--off)}.stage.online{color:var(--on)}
    .lang,.time,.note{color:var(--muted);font-size:.85em}.reasons,.io{margin:6px 0;color:var(--muted);font-size:.9em}
    pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow-x:auto;white-space:pre-wrap;word-break:break-word;margin:6px 0}
    pre.stdout{border-left:3px solid var(--ran)}pre.stderr{border-left:3px solid var(--failed)}
    .warning{color:#9a6700;background:rgba(191,135,0,.1);padding:4px 8px;border-radius:6px}
    figure.display{margin:8px 0}img{max-width:100%}figure img{background:#fff;border-radius:4px}figcaption{color:var(--muted);font-size:.8em}
    .display .html{border:1px solid var(--line);border-radius:6px;padding:8px 10px;background:var(--bg);overflow-x:auto}
    .samples pre{margin:0;border:0;padding:0;background:none}
    table.data{font-size:13px}table.data th{white-space:nowrap}.scroll.tall{max-height:420px;overflow:auto}
    details.source summary{cursor:pointer;color:var(--muted);font-size:.9em;margin:6px 0}
    """
}
