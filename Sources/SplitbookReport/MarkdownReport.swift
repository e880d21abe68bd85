import Foundation
import SplitbookEngine
import SplitbookSpec

/// The run as one Markdown file: the split as a Mermaid diagram, markdown
/// cells as they are, each code cell's status line, code, output, tables
/// and samples. Images are embedded as data URIs.
public struct MarkdownReport {
    public let document: RunDocument

    public init(document: RunDocument) { self.document = document }

    public var text: String {
        let run = document.run
        var out = "# \(document.notebook.title ?? document.notebook.name)\n\n"
        let counts = [RunReport.Status.ran, .cached, .failed, .skipped, .online].compactMap { s -> String? in
            let n = run.count(s)
            return n > 0 ? "\(n) \(s.rawValue)" : nil
        }
        out += "> splitbook run `\(run.runID)` of `\(run.notebookPath)`, started \(ISOTime.string(run.startedAt)), took "
        out += "\(DurationText.format(run.duration)): \(counts.joined(separator: ", "))"
        if run.saved > 0 { out += "; the cache saved \(DurationText.format(run.saved))" }
        out += ".\n\n"
        if !run.params.isEmpty {
            out += "| param | value |\n|---|---|\n"
            for name in run.params.keys.sorted() { out += "| `\(name)` | `\(cell(run.params[name]!))` |\n" }
            out += "\n"
        }
        out += "```mermaid\n" + GraphRenderer(notebook: document.notebook, graph: document.graph).render(.mermaid) + "```\n\n"
        for item in document.items {
            switch item {
            case .markdown(let text): out += text.hasSuffix("\n") ? text + "\n" : text + "\n\n"
            case .code(let code): out += section(code)
            }
        }
        return out
    }

    private func section(_ code: RunDocument.CodeItem) -> String {
        var out = "### `\(code.id)` · \(code.cell.stage.rawValue) · \(code.cell.language)"
        if let r = code.result {
            out += " · **\(r.status.rawValue)**"
            if r.status == .cached { out += " (saved \(DurationText.format(r.saved)))" }
            if r.status == .ran || r.status == .failed { out += " (\(DurationText.format(r.duration)))" }
        }
        out += "\n\n"
        if let reasons = code.result?.reasons, !reasons.isEmpty { out += "_\(reasons.joined(separator: "; "))_\n\n" }
        if let published = code.result?.published, !published.isEmpty {
            out += "Publishes " + published.keys.sorted().map { "`\($0)` v\(published[$0]!)" }.joined(separator: ", ") + ".\n\n"
        }
        out += fence(code.code, language: code.cell.language.description)
        if !code.stdout.isEmpty { out += "stdout:\n\n" + fence(code.stdout, language: "text") }
        if !code.stderr.isEmpty { out += "stderr:\n\n" + fence(code.stderr, language: "text") }
        for file in code.display {
            switch file.kind {
            case .image(let mime): out += "![\(file.name)](data:\(mime);base64,\(file.data.base64EncodedString()))\n\n"
            case .table(let separator):
                let table = DelimitedTable(file.text, separator: separator)
                guard let header = table.rows.first else { continue }
                out += "| " + header.map(cell).joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: header.count) + "\n"
                for row in table.rows.dropFirst() { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
                out += table.omitted > 0 ? "\n_\(table.omitted) more rows not shown_\n\n" : "\n"
            case .markdown: out += file.text + "\n\n"
            case .json: out += fence(JSONValue.parseJSON(file.data)?.prettyJSON() ?? file.text, language: "json")
            case .html, .text: out += fence(file.text, language: file.kind == .html ? "html" : "text")
            }
        }
        if let metrics = code.result?.metrics, !metrics.isEmpty {
            out += "| metric | value |\n|---|---|\n"
            for name in metrics.keys.sorted() { out += "| \(name) | \(HTMLReport.number(metrics[name]!)) |\n" }
            out += "\n"
        }
        if let set = code.samples {
            out += "Samples through `\(set.chain.joined(separator: " → "))`: p50 \(HTMLReport.number(set.p50)) ms, p95 \(HTMLReport.number(set.p95)) ms.\n\n"
            for s in set.samples {
                out += fence("request:  " + s.request.canonicalJSON + "\nresponse: " + s.response.canonicalJSON, language: "json")
            }
        }
        for warning in code.result?.warnings ?? [] { out += "> ⚠️ \(warning)\n\n" }
        return out
    }

    /// A fenced block long enough that no run of backticks inside closes it.
    private func fence(_ text: String, language: String) -> String {
        var longest = 0, run = 0
        for ch in text { if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let marks = String(repeating: "`", count: max(3, longest + 1))
        return marks + language + "\n" + text + (text.hasSuffix("\n") ? "" : "\n") + marks + "\n\n"
    }

    private func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
